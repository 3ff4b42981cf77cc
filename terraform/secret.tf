# The destination user's access key, in the source account. JSON fields (DESIGN.md §7):
# user, accesskey, secretaccesskey, partition, accountid, region.
# By default the value is set out of band (README: one-time manual step), so the
# key never reaches the Terraform state.
resource "aws_secretsmanager_secret" "destination" {
  name                    = local.secret_name
  description             = "Access key of IAM user ${aws_iam_user.destination.name} (${local.destination_partition}) that writes to ${var.destination_bucket}"
  kms_key_id              = var.secret_kms_key_arn
  recovery_window_in_days = var.secret_recovery_window_days
  tags                    = local.tags
}

# Opt-in (create_access_key = true): the secret access key is then stored in the state.
resource "aws_iam_access_key" "destination" {
  count    = var.create_access_key ? 1 : 0
  provider = aws.destination

  user = aws_iam_user.destination.name
}

resource "aws_secretsmanager_secret_version" "destination" {
  count = var.create_access_key ? 1 : 0

  secret_id = aws_secretsmanager_secret.destination.id
  secret_string = jsonencode({
    user            = aws_iam_user.destination.name
    accesskey       = aws_iam_access_key.destination[0].id
    secretaccesskey = aws_iam_access_key.destination[0].secret
    partition       = local.destination_partition
    accountid       = data.aws_caller_identity.destination.account_id
    region          = local.destination_region
  })
}
