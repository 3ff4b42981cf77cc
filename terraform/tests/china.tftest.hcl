# China source -> commercial destination: every ARN follows its own side's partition.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_partition" {
    defaults = { partition = "aws-cn", dns_suffix = "amazonaws.com.cn" }
  }
  mock_data "aws_region" {
    defaults = { region = "cn-north-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "333333333333" }
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
}

mock_provider "aws" {
  alias           = "destination"
  override_during = plan

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
}

run "partitions" {
  command = plan

  assert {
    condition     = alltrue([for s in data.aws_iam_policy_document.destination.statement : alltrue([for r in s.resources : startswith(r, "arn:aws:s3:::commercial-dest")])])
    error_message = "The destination policy must name only the destination bucket, in the commercial partition (arn:aws:)."
  }
  assert {
    condition     = alltrue(flatten([for s in data.aws_iam_policy_document.replicate.statement : [for r in s.resources : startswith(r, "arn:aws-cn:")]]))
    error_message = "The function role must name only ARNs in the source partition (arn:aws-cn:)."
  }
  assert {
    condition     = jsondecode(aws_lambda_function.this["replicate"].environment[0].variables["DESTINATIONS"])[0].region == "us-west-2"
    error_message = "destination_region must reach DESTINATIONS."
  }
  assert {
    condition     = aws_lambda_function.this["replicate"].filename == "tests/fixtures/empty.zip" && aws_lambda_function.this["replicate"].source_code_hash == filebase64sha256("tests/fixtures/empty.zip")
    error_message = "deploy_localzip must deploy the zip with its hash, so a new build redeploys."
  }
}

# kms:ViaService follows each side's region and DNS suffix (amazonaws.com.cn in China), and
# destination_region (the bucket's region) over the destination provider's region.
run "kms_via_service" {
  command = plan

  variables {
    source_kms_keys = [{
      arn    = "arn:aws-cn:kms:cn-north-1:333333333333:key/aaaaaaaa-2222-3333-4444-555555555555"
      key_id = "aaaaaaaa-2222-3333-4444-555555555555"
    }]
    destination_kms_key = {
      arn    = "arn:aws:kms:us-west-2:444444444444:key/11111111-2222-3333-4444-555555555555"
      key_id = "11111111-2222-3333-4444-555555555555"
    }
  }

  assert {
    condition     = flatten([for s in data.aws_iam_policy_document.replicate.statement : [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"] if s.sid == "SourceKeys"]) == ["StringEquals kms:ViaService s3.cn-north-1.amazonaws.com.cn"]
    error_message = "In China the source keys' kms:ViaService must be s3.<source region>.amazonaws.com.cn (the source partition's DNS suffix)."
  }
  assert {
    condition     = flatten([for s in data.aws_iam_policy_document.destination.statement : [for c in s.condition : "${c.test} ${c.variable} ${join(",", c.values)}"] if s.sid == "DestinationKey"]) == ["StringEquals kms:ViaService s3.us-west-2.amazonaws.com"]
    error_message = "The destination key's kms:ViaService must be s3.<destination_region>.<destination DNS suffix> (the bucket's region, not the provider's)."
  }
}

run "reject_region_outside_destination_partition" {
  command = plan

  variables {
    destination_region = "cn-northwest-1"
  }

  expect_failures = [aws_iam_user_policy.destination]
}

run "reject_keys_in_wrong_partition" {
  command = plan

  variables {
    destination_kms_key = {
      arn    = "arn:aws-cn:kms:cn-north-1:444444444444:key/11111111-2222-3333-4444-555555555555"
      key_id = "11111111-2222-3333-4444-555555555555"
    }
    source_kms_keys = [{
      arn    = "arn:aws:kms:us-east-1:333333333333:key/11111111-2222-3333-4444-555555555555"
      key_id = "11111111-2222-3333-4444-555555555555"
    }]
  }

  expect_failures = [aws_iam_user_policy.destination, aws_iam_role_policy.function]
}
