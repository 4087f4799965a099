// GraphQL Code Generator (client preset) over the committed schema: the
// portal's operations in typed/operations/ and GraphiQL's example tabs, into
// typed/__generated__/ (not committed; the test writes it afresh).
//
//   cd e2e/clients && ../node_modules/.bin/graphql-codegen --config codegen.ts
//
// strictScalars: a custom scalar without a mapping here is an error, not `any`.
// DateTime and Date are RFC 3339 strings on the wire; Upload is a browser File.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['typed/operations/*.graphql', '../../src/csm_graph/static/examples/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'typed/__generated__/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        strictScalars: true,
        scalars: {
          Date: 'string',
          DateTime: 'string',
          Upload: 'File',
        },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
