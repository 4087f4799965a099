// A case's page: the case itself, refetchable by its id (`useRefetchableFragment`
// through `Query.node`), with its comments below (CaseComments.ts).
import { graphql } from 'relay-runtime';

export const CaseDetailQuery = graphql`
  query CaseDetailQuery($number: String!) {
    caseByNumber(number: $number) {
      id
      ...CaseDetail_case
      ...CaseComments_case
    }
  }
`;

export const CaseDetail_case = graphql`
  fragment CaseDetail_case on Case @refetchable(queryName: "CaseDetailRefetchQuery") {
    id
    number
    state
    shortDescription
    description
    priority
    category
    version
    createdAt
    updatedAt
    resolvedAt
    resolutionNotes
    consumer {
      id
      fullName
    }
    assignedTo {
      id
      fullName
    }
    attachmentCount
    viewerCan {
      read
      comment
      attach
      acceptSolution
      rejectSolution
      close
      work
    }
  }
`;
