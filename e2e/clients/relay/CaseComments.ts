// A case's comments, newest at the bottom: the last page first, older ones
// with `loadPrevious` (`last`/`before`). A new comment, from the viewer's own
// mutation or from another user through the subscription, is appended to the
// connection in the store (`@appendNode`), without refetching.
import { graphql } from 'relay-runtime';

export const CaseComments_case = graphql`
  fragment CaseComments_case on Case
  @refetchable(queryName: "CaseCommentsPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
  ) {
    id
    comments(last: $count, before: $cursor) @connection(key: "CaseComments_comments") {
      __id
      totalCount
      edges {
        node {
          ...CaseComments_comment
        }
      }
    }
  }
`;

export const CaseComments_comment = graphql`
  fragment CaseComments_comment on CaseComment {
    id
    body
    workNote
    createdAt
    author {
      id
      fullName
    }
  }
`;

export const CaseCommentsAddMutation = graphql`
  mutation CaseCommentsAddMutation($input: CaseCommentAddInput!, $connections: [ID!]!) {
    caseCommentAdd(input: $input) {
      comment @appendNode(connections: $connections, edgeTypeName: "CaseCommentEdge") {
        ...CaseComments_comment
      }
      case {
        id
        updatedAt
        lastPublicComment {
          id
        }
      }
      errors {
        field
        message
        code
      }
    }
  }
`;

export const CaseCommentsEventsSubscription = graphql`
  subscription CaseCommentsEventsSubscription($caseId: ID!, $connections: [ID!]!) {
    caseEvents(caseId: $caseId) {
      id
      kind
      at
      comment @appendNode(connections: $connections, edgeTypeName: "CaseCommentEdge") {
        ...CaseComments_comment
      }
      case {
        id
        state
        updatedAt
      }
    }
  }
`;
