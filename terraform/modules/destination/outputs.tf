################################################################################
# The user (the one-time key step needs these)
################################################################################

output "user_name" {
  description = "Name of the IAM user: create its access key and put it in the destination's secret."
  value       = aws_iam_user.this.name
}

output "user_arn" {
  description = "ARN of the IAM user."
  value       = aws_iam_user.this.arn
}

output "partition" {
  description = "Partition of the destination account (the secret's partition field)."
  value       = local.partition
}

output "account_id" {
  description = "Destination account id (the secret's accountid field)."
  value       = data.aws_caller_identity.this.account_id
}

output "region" {
  description = "Region of the destination bucket (the secret's region field, and the destination's region)."
  value       = local.region
}

################################################################################
# What it may write (pass these to the root module's destinations map)
################################################################################

output "bucket" {
  description = "Name of the destination bucket."
  value       = var.bucket
}

output "prefix" {
  description = "Destination key prefix the user may write under."
  value       = var.prefix
}

output "kms_key_arn" {
  description = "KMS key the user may encrypt with; null = none."
  value       = var.kms_key_arn
}
