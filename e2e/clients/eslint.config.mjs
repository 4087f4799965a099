// GraphQL-ESLint on the committed schema: every rule of `schema-all` (which
// includes `schema-recommended`) and the Relay rules of `schema-relay`.
//
//   e2e/node_modules/.bin/eslint --config e2e/clients/eslint.config.mjs schema.graphql
//
// Where our published contract and a rule disagree, the rule is configured,
// not dropped: an option when the rule has one, otherwise `allowing()` below,
// which keeps the rule and lets through only the schema coordinates named
// here (`csm/<rule>` stands in for `@graphql-eslint/<rule>`). Each exception
// says why. Two rules are off, each for the reason given beside it.
import { fileURLToPath } from 'node:url';
import graphql from '@graphql-eslint/eslint-plugin';

const schema = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

/** The schema coordinate (`Type.field`, or `Type`) of the definition `node` sits in. */
function coordinateOf(node) {
  let field = null;
  for (let at = node; at; at = at.parent) {
    if (at.kind === 'FieldDefinition' || at.kind === 'InputValueDefinition') field ??= at;
    if (at.kind?.endsWith('TypeDefinition') || at.kind?.endsWith('TypeExtension')) {
      return field ? `${at.name.value}.${field.name.value}` : at.name.value;
    }
  }
  return null;
}

/**
 * `@graphql-eslint/<name>`, except for findings at these coordinates
 * (`Type.field`, or `Type.*` for every field of a type).
 */
function allowing(name, coordinates) {
  const rule = graphql.rules[name];
  const allowed = (coordinate) =>
    coordinate !== null &&
    coordinates.some((c) =>
      c.endsWith('.*') ? coordinate.startsWith(c.slice(0, -1)) : c === coordinate,
    );
  return {
    meta: rule.meta,
    create(context) {
      const filtered = Object.create(context, {
        report: {
          value: (descriptor) => {
            if (!allowed(coordinateOf(descriptor.node))) context.report(descriptor);
          },
        },
      });
      return rule.create(filtered);
    },
  };
}

const naming = graphql.configs['flat/schema-all'].rules['@graphql-eslint/naming-convention'][1];

export default [
  {
    files: ['**/*.graphql'],
    languageOptions: {
      parser: graphql.parser,
      parserOptions: { graphQLConfig: { schema } },
    },
    plugins: {
      '@graphql-eslint': graphql,
      // The same rules, with the exceptions named below.
      csm: {
        rules: {
          // `User.userType` (INTERNAL or EXTERNAL) is a published field that
          // clients read and `userCreate`/`userUpdate` take (docs/decisions.md);
          // renaming it is a breaking change (`make schema-check`).
          'no-typename-prefix': allowing('no-typename-prefix', ['User.userType']),
          // docs/api.md, "Errors". Mutations: refused input is data, not an
          // error; every mutation returns a payload, never null. Query: a
          // root field only some users may use is nullable (refusing it nulls
          // that field alone); one every logged-in user may use is non-null
          // (without a login the whole request fails). These three are the
          // latter; a new non-null root field fails here until it is listed.
          // `accessReport` answers every logged-in user, as one about a
          // consumer that does not exist unless they may see it.
          // A duplicate candidate is a pair of consumer records computed on
          // each request, not a stored object: it has an `id` (the pair's)
          // for caches, but `node(id:)` has nothing to fetch, so it does not
          // implement `Node` (docs/duplicates.md).
          'relay-edge-types': allowing('relay-edge-types', ['DuplicateCandidateEdge']),
          'require-nullable-result-in-root': allowing('require-nullable-result-in-root', [
            'Mutation.*',
            'Query.households',
            'Query.cases',
            'Query.explainAccess',
            'Query.accessReport',
          ]),
        },
      },
    },
    rules: {
      ...graphql.configs['flat/schema-all'].rules,
      ...graphql.configs['flat/schema-relay'].rules,

      // Type definitions in alphabetical order, as `make schema` writes them.
      // Fields, arguments and enum values keep the order they are declared
      // in, which is documentation: `CaseState` in lifecycle order, `SlaLevel`
      // from lowest to highest, `first, after, last, before` as in the Relay
      // specification, `id` first. GraphiQL and the schema show that order.
      '@graphql-eslint/alphabetize': ['error', { definitions: true }],

      // `RelationshipType` is the published name of an object type (how a
      // related party relates to a case, docs/decisions.md); renaming it is a
      // breaking change. The rest of the convention holds for every type.
      '@graphql-eslint/naming-convention': [
        'error',
        {
          ...naming,
          'ObjectTypeDefinition,ObjectTypeExtension': {
            ...naming['ObjectTypeDefinition,ObjectTypeExtension'],
            ignorePattern: '^RelationshipType$',
          },
        },
      ],

      '@graphql-eslint/no-typename-prefix': 'off',
      'csm/no-typename-prefix': 'error',
      '@graphql-eslint/require-nullable-result-in-root': 'off',
      'csm/require-nullable-result-in-root': 'error',

      // Off: this rule is for read-only graphs (`disallow: mutation,
      // subscription`); ours serves mutations and `caseEvents` by design.
      '@graphql-eslint/no-root-type': 'off',

      // Off: a payload returns the object it changed and `errors`
      // (docs/api.md, "Errors"), which a normalised cache merges by id; a
      // `query: Query!` field on every payload is not part of our contract.
      // Turning this on means adding that field to every payload.
      '@graphql-eslint/require-field-of-type-query-in-mutation-result': 'off',

      // Objects without an identity of their own: a mutation's payload, a
      // connection and its edges, and value objects read only through their
      // parent (an address, a page's position, a viewer's permissions on a
      // case, an explanation or an access report and its parts, a refused
      // input or import row, a webhook delivery's attempts, a record's custom
      // field values, a schedule's hours and holidays, a case's SLA clock).
      // A custom field's definition is named by its entity and key.
      '@graphql-eslint/strict-id-in-types': [
        'error',
        {
          exceptions: {
            suffixes: ['Payload', 'Connection', 'Edge'],
            types: [
              'AccessExplanation',
              'AccessGrant',
              'AccessReport',
              'AccessReportEntry',
              'AccessReportGrant',
              'CustomFieldDefinition',
              'CustomFieldValue',
              'SlaClock',
              'SlaHoliday',
              'SlaWorkingHours',
              'WebhookAttempt',
              'Address',
              'CasePermissions',
              'ImportRowError',
              'PageInfo',
              'UserError',
            ],
          },
        },
      ],

      // Relay constrains connections, not every list: short, bounded lists
      // (a payload's errors, a user's roles, a consumer's households, a
      // grant's actions) stay plain lists rather than connections. Edge types
      // still need the `Edge` suffix and a node that implements `Node`.
      '@graphql-eslint/relay-edge-types': 'off',
      'csm/relay-edge-types': [
        'error',
        { withEdgeSuffix: true, shouldImplementNode: true, listTypeCanWrapOnlyEdgeType: false },
      ],
    },
  },
];
