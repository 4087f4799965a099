// An agent's view of a consumer: their households, each with its latest
// cases, and the consumer's own cases, paginated (`Consumer.cases`).
import { graphql } from 'relay-runtime';

export const ConsumerProfileQuery = graphql`
  query ConsumerProfileQuery($id: ID!) {
    node(id: $id) {
      # consumer: null unless the node is a Consumer.
      ...ConsumerProfile_consumer @alias(as: "consumer")
    }
  }
`;

export const ConsumerProfile_consumer = graphql`
  fragment ConsumerProfile_consumer on Consumer
  @refetchable(queryName: "ConsumerProfileCasesPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 10 }
    cursor: { type: "String" }
  ) {
    id
    number
    fullName
    primaryHousehold {
      id
    }
    households {
      id
      number
      name
      cases(first: 5) {
        totalCount
        edges {
          node {
            id
            number
            state
            shortDescription
          }
        }
      }
    }
    cases(first: $count, after: $cursor) @connection(key: "ConsumerProfile_cases") {
      totalCount
      edges {
        node {
          id
          number
          state
          shortDescription
          createdAt
        }
      }
    }
  }
`;
