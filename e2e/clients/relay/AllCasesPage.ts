// The portal's "All cases" page: a paginated list with a filter, refetched
// when the filter changes (`usePaginationFragment` over `Query`).
import { graphql } from 'relay-runtime';

export const AllCasesPageQuery = graphql`
  query AllCasesPageQuery($count: Int = 20, $cursor: String, $filter: CaseFilter) {
    ...AllCasesPage_query @arguments(count: $count, cursor: $cursor, filter: $filter)
  }
`;

export const AllCasesPage_query = graphql`
  fragment AllCasesPage_query on Query
  @refetchable(queryName: "AllCasesPagePaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
    filter: { type: "CaseFilter" }
  ) {
    cases(first: $count, after: $cursor, filter: $filter)
      @connection(key: "AllCasesPage_cases", filters: ["filter"]) {
      totalCount
      edges {
        node {
          id
          number
          state
          shortDescription
          updatedAt
          consumer {
            id
            fullName
          }
          household {
            id
            name
          }
          lastPublicComment {
            id
            body
            createdAt
          }
          viewerCan {
            comment
            acceptSolution
          }
        }
      }
    }
  }
`;
