# One secret per destination, in the source account: the destination user's access key.
# JSON fields (DESIGN.md §7): user, accesskey, secretaccesskey, partition, accountid, region.
# By default the value is set out of band (README: one-time key step), so the key never
# reaches the Terraform state.
resource "aws_secretsmanager_secret" "destination" {
  for_each = local.destinations

  name                    = each.value.secret_name
  description             = "Access key of the IAM user${each.value.user_name == null ? "" : " ${each.value.user_name}"} (${each.value.partition}) that writes to ${each.value.bucket} for ${var.name}"
  kms_key_id              = var.secret_kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = local.tags
}

# With create_access_key, Terraform reads the secret version back on every plan: its deploying
# principal (the role, not the session) must stay a reader.
data "aws_iam_session_context" "deployer" {
  count = var.create_access_key ? 1 : 0

  arn = data.aws_caller_identity.source.arn
}

# Only the replicate role (the backfill role, which lists destinations for extras, and
# secret_reader_arns) may read the key; other principals of the account are denied even with a
# broad identity policy. Writing the value stays open to admins.
data "aws_iam_policy_document" "secret" {
  statement {
    sid       = "OnlyTheReplicateRoleReads"
    effect    = "Deny"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "StringNotEquals"
      variable = "aws:PrincipalArn"
      values   = concat([aws_iam_role.function["replicate"].arn], aws_iam_role.backfill[*].arn, var.secret_reader_arns, data.aws_iam_session_context.deployer[*].issuer_arn)
    }
  }
}

resource "aws_secretsmanager_secret_policy" "destination" {
  for_each = local.destinations

  secret_arn          = aws_secretsmanager_secret.destination[each.key].arn
  policy              = data.aws_iam_policy_document.secret.json
  block_public_policy = true
}

resource "aws_secretsmanager_secret_version" "destination" {
  count = var.create_access_key ? 1 : 0

  secret_id = aws_secretsmanager_secret.destination["default"].id
  secret_string = jsonencode({
    user            = module.destination[0].user_name
    accesskey       = aws_iam_access_key.destination[0].id
    secretaccesskey = aws_iam_access_key.destination[0].secret
    partition       = module.destination[0].partition
    accountid       = module.destination[0].account_id
    region          = module.destination[0].region
  })
}
