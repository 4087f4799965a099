// The consumer portal's flow through Apollo Client, every operation an
// automatic persisted query (`PersistedQueryLink` with node's SHA-256).
//
//   CSM_EMAIL=… CSM_PASSWORD=… CSM_CONSUMER_ID=… node apollo.mjs open <api url>
//   CSM_EMAIL=… CSM_PASSWORD=… CSM_CASE_ID=…     node apollo.mjs accept <api url>
//
// `open`: log in, list "All cases", open a case for the consumer
// `CSM_CONSUMER_ID` (a household member), comment on it, list again.
// `accept`: log in, list "All cases", find case `CSM_CASE_ID` RESOLVED and
// accept its solution.
//
// A fetch wrapper records every HTTP request Apollo makes. The script checks
// that each one carried `extensions.persistedQuery`, that a document was
// sent only when the server had just answered PERSISTED_QUERY_NOT_FOUND for
// its hash, and that the second "All cases" listing went out as the hash
// alone, once. It prints a JSON report on stdout (`requests`: one entry per
// HTTP request) and exits 1 with a message on stderr on any failure, 2 on
// bad usage.
import { createHash } from 'node:crypto';
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const [phase, url] = process.argv.slice(2);
const { CSM_EMAIL: email, CSM_PASSWORD: password } = process.env;
if (!['open', 'accept'].includes(phase) || !url || !email || !password) {
  console.error('usage: CSM_EMAIL=… CSM_PASSWORD=… node apollo.mjs open|accept <api url>');
  process.exit(2);
}

class Failure extends Error {}

function check(condition, message) {
  if (!condition) throw new Failure(message);
}

// Every HTTP request Apollo makes, with what the server answered.
const requests = [];

async function recordingFetch(input, init) {
  const body = JSON.parse(init.body);
  const response = await fetch(input, init);
  const answer = await response.clone().json();
  requests.push({
    operationName: body.operationName,
    sha256Hash: body.extensions?.persistedQuery?.sha256Hash ?? null,
    sentDocument: typeof body.query === 'string',
    status: response.status,
    errorCodes: (answer.errors ?? []).map((error) => error.extensions?.code ?? null),
  });
  return response;
}

let token = null;
const auth = new ApolloLink((operation, forward) => {
  if (token) {
    operation.setContext(({ headers = {} }) => ({
      headers: { ...headers, authorization: `Bearer ${token}` },
    }));
  }
  return forward(operation);
});
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

const client = new ApolloClient({
  link: ApolloLink.from([
    auth,
    new PersistedQueryLink({ sha256 }),
    new HttpLink({ uri: url, fetch: recordingFetch }),
  ]),
  cache: new InMemoryCache(),
  defaultOptions: { query: { fetchPolicy: 'network-only' } },
});

const LOGIN = gql`
  mutation PortalLogin($input: LoginInput!) {
    login(input: $input) {
      accessToken
      user { id email }
      errors { field message code }
    }
  }
`;

const ALL_CASES = gql`
  query PortalAllCases {
    cases(first: 50, filter: { scope: ALL }) {
      totalCount
      edges {
        node {
          id
          number
          state
          shortDescription
          consumer { id number firstName }
          household { id number name }
          lastPublicComment { id body createdAt }
          attachmentCount
          viewerCan { read comment attach acceptSolution rejectSolution close work }
        }
      }
    }
  }
`;

const CASE_CREATE = gql`
  mutation PortalCaseCreate($input: CaseCreateInput!) {
    caseCreate(input: $input) {
      case { id number state consumer { id } household { id } }
      errors { field message code }
    }
  }
`;

const COMMENT = gql`
  mutation PortalComment($input: CaseCommentAddInput!) {
    caseCommentAdd(input: $input) {
      comment { id body }
      errors { field message code }
    }
  }
`;

const ACCEPT = gql`
  mutation PortalAcceptSolution($input: CaseSolutionAcceptInput!) {
    caseSolutionAccept(input: $input) {
      case { id state closedAt }
      errors { field message code }
    }
  }
`;

async function mutate(mutation, input) {
  const { data } = await client.mutate({ mutation, variables: { input } });
  const payload = Object.values(data)[0];
  check(payload.errors.length === 0, `${Object.keys(data)[0]}: ${JSON.stringify(payload.errors)}`);
  return payload;
}

async function allCases() {
  const { data } = await client.query({ query: ALL_CASES });
  return data.cases;
}

// One operation's HTTP requests, from `from` on.
function requestsOf(operationName, from = 0) {
  return requests.slice(from).filter((r) => r.operationName === operationName);
}

function checkPersisted() {
  for (const [i, request] of requests.entries()) {
    check(request.sha256Hash, `request ${i} (${request.operationName}) had no persisted-query hash`);
    check(request.status === 200, `request ${i} (${request.operationName}): HTTP ${request.status}`);
    if (request.sentDocument) {
      const previous = requests[i - 1];
      check(
        previous &&
          previous.sha256Hash === request.sha256Hash &&
          !previous.sentDocument &&
          previous.errorCodes.includes('PERSISTED_QUERY_NOT_FOUND'),
        `request ${i} (${request.operationName}) sent its document without being asked for it`,
      );
    }
  }
}

const report = { phase, ok: false, requests };
try {
  const login = await mutate(LOGIN, { email, password });
  token = login.accessToken;
  check(login.user.email === email, `logged in as ${login.user.email}, not ${email}`);

  if (phase === 'open') {
    const consumerId = process.env.CSM_CONSUMER_ID;
    check(consumerId, 'CSM_CONSUMER_ID is needed for `open`');
    const before = await allCases();
    report.casesBefore = before.totalCount;

    const created = await mutate(CASE_CREATE, {
      shortDescription: 'The router keeps rebooting',
      description: 'Since Monday, every few minutes.',
      category: 'TECHNICAL',
      consumerId,
    });
    check(created.case.consumer.id === consumerId, 'the case is not about the member');
    const comment = await mutate(COMMENT, {
      caseId: created.case.id,
      body: 'It happens mostly in the evening.',
    });

    const mark = requests.length;
    const after = await allCases();
    const again = requestsOf('PortalAllCases', mark);
    check(
      again.length === 1 && !again[0].sentDocument && again[0].errorCodes.length === 0,
      `the second "All cases" listing was not one hash-only request: ${JSON.stringify(again)}`,
    );
    const listed = after.edges.map((edge) => edge.node).find((c) => c.id === created.case.id);
    check(listed, 'the new case is missing from "All cases"');
    check(after.totalCount === before.totalCount + 1, '"All cases" did not grow by one');
    check(
      listed.lastPublicComment?.body === 'It happens mostly in the evening.',
      `lastPublicComment is ${JSON.stringify(listed.lastPublicComment)}`,
    );
    check(listed.attachmentCount === 0, `attachmentCount is ${listed.attachmentCount}`);
    check(listed.viewerCan.comment && !listed.viewerCan.work, 'unexpected viewerCan');
    report.case = listed;
    report.commentId = comment.comment.id;
  } else {
    const caseId = process.env.CSM_CASE_ID;
    check(caseId, 'CSM_CASE_ID is needed for `accept`');
    const cases = await allCases();
    const found = cases.edges.map((edge) => edge.node).find((c) => c.id === caseId);
    check(found, `case ${caseId} is missing from "All cases"`);
    check(found.state === 'RESOLVED', `case ${caseId} is ${found.state}, not RESOLVED`);
    check(found.viewerCan.acceptSolution, 'viewerCan.acceptSolution is false');
    const accepted = await mutate(ACCEPT, { caseId });
    check(accepted.case.state === 'CLOSED', `accepted case is ${accepted.case.state}`);
    report.case = accepted.case;
  }
  checkPersisted();
  report.ok = true;
} catch (error) {
  report.error = error instanceof Failure ? error.message : String(error.stack ?? error);
  console.error(`apollo.mjs ${phase}: ${report.error}`);
}
console.log(JSON.stringify(report, null, 2));
process.exit(report.ok ? 0 : 1);
