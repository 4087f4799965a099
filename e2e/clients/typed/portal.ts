// Hand-written client code over the generated types, as the portal would
// write it: tsc --strict accepts it only if the generated enums are unions of
// their values (narrowed exhaustively), nullable fields are typed nullable,
// scalars are the strings the API sends, and the documents carry their
// result and variable types into Apollo Client.
import type { ApolloClient } from '@apollo/client';
import {
  PortalAllCasesDocument,
  PortalCaseDocument,
  PortalCaseEventsDocument,
  type CaseEventKind,
  type GrantKind,
  type PortalAllCasesQuery,
  type PortalCaseEventsSubscription,
  type PortalCaseQuery,
  type PortalCaseQueryVariables,
} from './__generated__/graphql';

type CaseEvent = PortalCaseEventsSubscription['caseEvents'];
type CaseRow = PortalAllCasesQuery['cases']['edges'][number]['node'];

/** A line of a case's timeline; every kind is handled, or this does not compile. */
export function timelineLine(event: CaseEvent): string {
  const who = event.actor?.fullName ?? 'The system';
  switch (event.kind) {
    case 'CREATED':
      return `${who} opened ${event.case.number}`;
    case 'UPDATED':
      return `${who} changed ${event.activity?.field ?? 'the case'}`;
    case 'ASSIGNED':
      return `${who} assigned ${event.case.number}`;
    case 'STATE_CHANGED':
      return `${event.case.number} is now ${event.case.state}`;
    case 'COMMENTED':
    case 'WORK_NOTE_ADDED':
      // null when the viewer may not read it (a work note, for a consumer)
      return `${who}: ${event.comment?.body ?? '(not shown)'}`;
    case 'ATTACHMENT_ADDED':
      return `${who} attached a file`;
    default: {
      const unhandled: never = event.kind;
      return unhandled;
    }
  }
}

/** The kinds the timeline shows, as the generated union (not `string`). */
export const SHOWN: readonly CaseEventKind[] = ['COMMENTED', 'STATE_CHANGED'];
// @ts-expect-error: not a kind the schema knows
export const UNKNOWN: CaseEventKind = 'REOPENED';

export function commentBody(event: CaseEvent): string | undefined {
  // @ts-expect-error: `comment` is nullable, so it must be checked first
  const unchecked: string = event.comment.body;
  void unchecked;
  return event.comment?.body;
}

/** DateTime is a string on the wire (RFC 3339, UTC, `Z`). */
export function when(event: CaseEvent): Date {
  const at: string = event.at;
  // @ts-expect-error: a DateTime is not a number
  const wrong: number = event.at;
  void wrong;
  return new Date(at);
}

/**
 * The "All cases" rows the viewer may comment on, latest public comment first.
 * A DateTime always comes in one shape (UTC, milliseconds, `Z`), so it sorts as text.
 */
export function commentable(rows: readonly CaseRow[]): CaseRow[] {
  const latest = (row: CaseRow): string => row.lastPublicComment?.createdAt ?? '';
  return rows
    .filter((row) => row.viewerCan.comment)
    .sort((a, b) => latest(b).localeCompare(latest(a)));
}

/** Why the viewer may act on a case, for the access panel. */
export function grantLabel(kind: GrantKind): string {
  switch (kind) {
    case 'ADMIN':
    case 'ASSIGNEE':
    case 'TEAM':
    case 'MANAGER':
    case 'OPENER':
      return 'staff';
    case 'CONSUMER':
    case 'REPRESENTATIVE':
    case 'HEAD_OF_HOUSEHOLD':
    case 'HOUSEHOLD_MEMBER':
      return 'household';
    case 'RELATED_PARTY':
    case 'SOLD_PRODUCT_PARTY':
    case 'TEAM_PARTY':
    case 'DEPARTMENT_PARTY':
      return 'related party';
    default: {
      const unhandled: never = kind;
      return unhandled;
    }
  }
}

/** A case's page: the node narrowed to a Case by `__typename`. */
export function casePanel(data: PortalCaseQuery): string | null {
  const node = data.node;
  if (node?.__typename !== 'Case') return null;
  const can = node.viewerCan.acceptSolution ? 'may accept the solution' : 'may not accept';
  const why = data.explainAccess.grants.map((grant) => grantLabel(grant.kind)).join(', ');
  return `${node.number} (${node.state}): ${can}; through ${why || 'nothing'}`;
}

// @ts-expect-error: `caseId` is required
export const NO_CASE: PortalCaseQueryVariables = {};

/** The documents type Apollo Client's results and variables. */
export async function load(client: ApolloClient, caseId: string): Promise<string[]> {
  const cases = await client.query({ query: PortalAllCasesDocument });
  const rows: CaseRow[] = cases.data?.cases.edges.map((edge) => edge.node) ?? [];
  const detail = await client.query({ query: PortalCaseDocument, variables: { caseId } });
  const lines = commentable(rows).map((row) => row.number);
  const panel = detail.data ? casePanel(detail.data) : null;
  const events = client.subscribe({ query: PortalCaseEventsDocument, variables: { caseId } });
  events.subscribe((result) => {
    if (result.data) lines.push(timelineLine(result.data.caseEvents));
  });
  return panel === null ? lines : [panel, ...lines];
}
