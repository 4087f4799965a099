from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]

    operations = [
        ops.RunSQL(
            "INSERT INTO responsibility "
            "(name, description, case_actions, product_actions, created_at) VALUES "
            "('case viewer', 'Reads the case', 'READ', 'READ', CURRENT_TIMESTAMP), "
            "('case collaborator', 'Reads, comments on and adds files to the case', "
            "'READ COMMENT ATTACH', 'READ', CURRENT_TIMESTAMP), "
            "('case manager', 'Everything on the case, including accepting or rejecting "
            "the solution, closing it and managing its related parties', "
            "'READ COMMENT ATTACH ACCEPT_SOLUTION REJECT_SOLUTION CLOSE MANAGE_RELATED_PARTIES', "
            "'READ MANAGE', CURRENT_TIMESTAMP)",
            reverse_sql="DELETE FROM responsibility WHERE name IN "
            "('case viewer', 'case collaborator', 'case manager')",
        ),
        ops.RunSQL(
            "INSERT INTO relationship_type "
            "(name, description, for_cases, for_sold_products, default_responsibility_id, "
            "created_at) VALUES "
            "('co-borrower', 'Shares the loan', TRUE, TRUE, "
            "(SELECT id FROM responsibility WHERE name = 'case collaborator'), CURRENT_TIMESTAMP), "
            "('guarantor', 'Guarantees the loan', TRUE, FALSE, "
            "(SELECT id FROM responsibility WHERE name = 'case collaborator'), CURRENT_TIMESTAMP), "
            "('attorney', 'Acts in law for the consumer', TRUE, FALSE, "
            "(SELECT id FROM responsibility WHERE name = 'case collaborator'), CURRENT_TIMESTAMP), "
            "('finance contact', 'Follows the finances of a sold product', FALSE, TRUE, "
            "(SELECT id FROM responsibility WHERE name = 'case viewer'), CURRENT_TIMESTAMP), "
            "('listed consumer', 'Named for the record, grants nothing', TRUE, TRUE, NULL, "
            "CURRENT_TIMESTAMP)",
            reverse_sql="DELETE FROM relationship_type WHERE name IN ('co-borrower', "
            "'guarantor', 'attorney', 'finance contact', 'listed consumer')",
        ),
    ]
