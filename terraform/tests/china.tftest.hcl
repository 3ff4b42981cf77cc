# China source -> commercial destination: every ARN follows its own side's partition.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws-cn", dns_suffix = "amazonaws.com.cn" }
  }
  mock_data "aws_region" {
    defaults = { region = "cn-north-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "333333333333" }
  }
  mock_data "aws_s3_bucket" {
    defaults = { bucket_region = "cn-north-1" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws-cn:sqs:cn-north-1:333333333333:queue", url = "https://sqs.cn-north-1.amazonaws.com.cn/333333333333/queue" }
  }
  mock_resource "aws_dynamodb_table" {
    defaults = { arn = "arn:aws-cn:dynamodb:cn-north-1:333333333333:table/partition-s3-replicate" }
  }
  mock_resource "aws_secretsmanager_secret" {
    defaults = { arn = "arn:aws-cn:secretsmanager:cn-north-1:333333333333:secret:partition-s3-replicate-credentials-AbCdEf" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws-cn:logs:cn-north-1:333333333333:log-group:/aws/lambda/partition-s3-replicate" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws-cn:sns:cn-north-1:333333333333:partition-s3-replicate-alarms" }
  }
}

mock_provider "aws" {
  alias = "destination"

  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { region = "us-east-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "444444444444" }
  }
}

variables {
  environment        = "prod"
  source_bucket      = "cn-source"
  destination_bucket = "commercial-dest"
  destination_region = "us-west-2"
  deploy_localzip    = "tests/fixtures/empty.zip"
  source_kms_keys = [{
    arn    = "arn:aws-cn:kms:cn-north-1:333333333333:key/aaaaaaaa-2222-3333-4444-555555555555"
    key_id = "aaaaaaaa-2222-3333-4444-555555555555"
  }]
  secret_kms_key_arn = "arn:aws-cn:kms:cn-north-1:333333333333:key/cccccccc-2222-3333-4444-555555555555"
}

run "partitions" {
  command = apply

  assert {
    condition     = alltrue(flatten([for s in data.aws_iam_policy_document.replicate.statement : [for r in s.resources : startswith(r, "arn:aws-cn:")]]))
    error_message = "The function role must name only ARNs in the source partition (arn:aws-cn:)."
  }
  assert {
    condition     = { for s in data.aws_iam_policy_document.replicate.statement : s.sid => join(" / ", [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"]) if length(s.condition) > 0 } == { SourceKeys = "StringEquals kms:ViaService s3.cn-north-1.amazonaws.com.cn", SecretKey = "StringEquals kms:ViaService secretsmanager.cn-north-1.amazonaws.com.cn" }
    error_message = "In China kms:ViaService must use the source partition's DNS suffix: s3.cn-north-1.amazonaws.com.cn for the source keys, secretsmanager.cn-north-1.amazonaws.com.cn for the secret's key."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.replicate.environment[0].variables["DESTINATIONS"])[0].region == "us-west-2" && output.destination_region == "us-west-2" && output.destination_partition == "aws" && output.destination_account_id == "444444444444"
    error_message = "destination_region (the bucket's region, not the provider's) must reach DESTINATIONS and the key-step outputs, with the commercial partition and account."
  }
  assert {
    condition     = aws_lambda_function.replicate.filename == "tests/fixtures/empty.zip" && aws_lambda_function.replicate.source_code_hash == filebase64sha256("tests/fixtures/empty.zip") && aws_lambda_function.relay.source_code_hash == aws_lambda_function.replicate.source_code_hash
    error_message = "deploy_localzip must deploy the zip to both functions with its hash, so a new build redeploys."
  }
  assert {
    condition     = can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$", aws_lambda_function.replicate.environment[0].variables["REPLICATE_SINCE"])) && aws_lambda_function.replicate.environment[0].variables["REPLICATE_SINCE"] == output.replicate_since
    error_message = "REPLICATE_SINCE must be the replicate_since timestamp (ISO-8601)."
  }
}

run "reject_source_keys_outside_source_partition" {
  command = plan

  variables {
    source_kms_keys = [{
      arn    = "arn:aws:kms:us-east-1:333333333333:key/11111111-2222-3333-4444-555555555555"
      key_id = "11111111-2222-3333-4444-555555555555"
    }]
  }

  expect_failures = [aws_iam_role_policy.function]
}
