// The consumer portal's flow through Apollo Client, every operation an
// automatic persisted query (`PersistedQueryLink` with node's SHA-256).
//
//   CSM_EMAIL=… CSM_PASSWORD=… CSM_CONSUMER_ID=… node apollo.mjs open <api url>
//   CSM_EMAIL=… CSM_PASSWORD=… CSM_CASE_ID=…     node apollo.mjs accept <api url>
//   CSM_EMAIL=… CSM_PASSWORD=… CSM_CASE_ID=…     node apollo.mjs watch <api url>
//
// `open`: log in, list "All cases", open a case for the consumer
// `CSM_CONSUMER_ID` (a household member), comment on it, list again.
// `accept`: log in, list "All cases", find case `CSM_CASE_ID` RESOLVED and
// accept its solution.
// `watch`: log in, watch case `CSM_CASE_ID`'s comments (a cache-first
// `watchQuery`) and subscribe to its `caseEvents` over WebSocket (the
// `graphql-ws` client, through Apollo's `GraphQLWsLink`). Once both are live
// it prints `{"ready": true}` on a line of its own, then waits for another
// user's comment: the event's `comment` is written into the cached
// `comments` connection (`cache.modify`), and the watched query must show it
// with no HTTP request at all from the event on.
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
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [phase, url] = process.argv.slice(2);
const { CSM_EMAIL: email, CSM_PASSWORD: password } = process.env;
if (!['open', 'accept', 'watch'].includes(phase) || !url || !email || !password) {
  console.error('usage: CSM_EMAIL=… CSM_PASSWORD=… node apollo.mjs open|accept|watch <api url>');
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

// Subscriptions over WebSocket (graphql-transport-ws), connected on first use
// with the token of the moment; everything else over HTTP, by hash.
const socketLog = []; // {connected: true}, then {closed: "<code> <reason>"}
const socket = createClient({
  url: url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: () => ({ authorization: `Bearer ${token}` }),
  retryAttempts: 0,
  on: {
    connected: () => socketLog.push({ connected: true }),
    closed: (event) => socketLog.push({ closed: `${event?.code} ${event?.reason ?? ''}`.trim() }),
  },
});

const client = new ApolloClient({
  link: ApolloLink.split(
    (operation) => operation.operationType === 'subscription',
    new GraphQLWsLink(socket),
    ApolloLink.from([
      auth,
      new PersistedQueryLink({ sha256 }),
      new HttpLink({ uri: url, fetch: recordingFetch }),
    ]),
  ),
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

const COMMENT_FIELDS = gql`
  fragment PortalCommentFields on CaseComment {
    id
    body
    createdAt
    author { id fullName }
  }
`;

const CASE_COMMENTS = gql`
  query PortalCaseComments($caseId: ID!) {
    node(id: $caseId) {
      id
      ... on Case {
        number
        comments(last: 20) {
          totalCount
          edges { node { ...PortalCommentFields } }
          pageInfo { hasPreviousPage startCursor }
        }
      }
    }
  }
  ${COMMENT_FIELDS}
`;

const CASE_EVENTS = gql`
  subscription PortalCaseEvents($caseId: ID!) {
    caseEvents(caseId: $caseId) {
      id
      kind
      at
      comment { ...PortalCommentFields }
    }
  }
  ${COMMENT_FIELDS}
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

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Resolves with the first value `probe()` returns other than undefined;
// fails with `what` after `ms`.
async function until(probe, what, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = probe();
    if (found !== undefined) return found;
    check(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(20);
  }
}

// Fails if the subscription's WebSocket has closed.
function checkSocketOpen() {
  const closed = socketLog.find((entry) => entry.closed);
  check(!closed, `the WebSocket closed: ${closed?.closed}`);
}

// The new comment at the end of the case's cached comments (the newest page is
// `last: n`, oldest first), counted; a comment already there is left alone.
function appendComment(caseId, comment) {
  const node = client.cache.writeFragment({ fragment: COMMENT_FIELDS, data: comment });
  client.cache.modify({
    id: client.cache.identify({ __typename: 'Case', id: caseId }),
    fields: {
      comments(existing, { readField }) {
        if (existing.edges.some((edge) => readField('id', edge.node) === comment.id)) {
          return existing;
        }
        return {
          ...existing,
          totalCount: existing.totalCount + 1,
          edges: [...existing.edges, { __typename: 'CaseCommentEdge', node }],
        };
      },
    },
  });
}

async function watch(caseId) {
  const results = [];
  const watched = client
    .watchQuery({ query: CASE_COMMENTS, variables: { caseId }, fetchPolicy: 'cache-first' })
    .subscribe({
      next: (result) => results.push(result),
      error: (error) => results.push({ error }),
    });
  const events = [];
  const subscription = client.subscribe({ query: CASE_EVENTS, variables: { caseId } }).subscribe({
    next: (result) => events.push(result),
    error: (error) => events.push({ error }),
  });

  const loaded = await until(
    () => results.find((r) => r.error || r.dataState === 'complete'),
    'the comments',
    10000,
  );
  check(!loaded.error, `watching the comments failed: ${loaded.error}`);
  const before = loaded.data.node.comments;
  report.commentsBefore = before.edges.map((edge) => edge.node.body);
  await until(() => socketLog[0], 'the WebSocket connection', 10000);
  checkSocketOpen();
  await sleep(500); // the subscription follows the connection's acknowledgement
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

  const event = await until(
    () =>
      events.find((e) => e.error || e.data?.caseEvents.comment) ??
      socketLog.find((entry) => entry.closed),
    'a comment event',
    20000,
  );
  checkSocketOpen();
  check(!event.error, `the subscription failed: ${event.error}`);
  const mark = requests.length;
  const { comment } = event.data.caseEvents;
  report.event = event.data.caseEvents;
  appendComment(caseId, comment);

  const shown = await until(
    () => results.find((r) => r.data?.node.comments.edges.some((e) => e.node.id === comment.id)),
    'the watched comments to show the new one',
    5000,
  );
  await sleep(500); // time for a refetch to go out, if the cache were to ask for one
  const after = shown.data.node.comments;
  report.commentsAfter = after.edges.map((edge) => edge.node.body);
  report.requestsAfterEvent = requests.slice(mark);
  check(
    report.requestsAfterEvent.length === 0,
    `HTTP requests after the event: ${JSON.stringify(report.requestsAfterEvent)}`,
  );
  const answered = requestsOf('PortalCaseComments').filter((r) => r.errorCodes.length === 0);
  check(answered.length === 1, `the comments were fetched ${answered.length} times`);
  check(after.totalCount === before.totalCount + 1, `totalCount is ${after.totalCount}`);
  const last = after.edges.at(-1).node;
  check(last.id === comment.id, 'the new comment is not the last one');
  check(last.author?.fullName === comment.author?.fullName, 'the author was lost');
  subscription.unsubscribe();
  watched.unsubscribe();
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
  } else if (phase === 'accept') {
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
  } else {
    const caseId = process.env.CSM_CASE_ID;
    check(caseId, 'CSM_CASE_ID is needed for `watch`');
    await watch(caseId);
  }
  checkPersisted();
  report.ok = true;
} catch (error) {
  report.error = error instanceof Failure ? error.message : String(error.stack ?? error);
  console.error(`apollo.mjs ${phase}: ${report.error}`);
}
await socket.dispose();
console.log(JSON.stringify(report, null, 2));
process.exit(report.ok ? 0 : 1);
