# One source fanned out to GovCloud and China through one pipeline (destinations): one secret
# per destination, one DESTINATIONS entry each, ids that do not collide on a shared bucket name.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { region = "us-east-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "111111111111" }
  }
  mock_data "aws_s3_bucket" {
    defaults = { bucket_region = "us-east-1" }
  }
}

# Not used with destinations: the destination users come from modules/destination calls.
mock_provider "aws" {
  alias = "destination"
}

override_resource {
  target = aws_secretsmanager_secret.destination["gov"]
  values = { arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:fanout-gov-credentials-AbCdEf" }
}
override_resource {
  target = aws_secretsmanager_secret.destination["cn"]
  values = { arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:fanout-cn-credentials-GhIjKl" }
}

variables {
  name                  = "fanout"
  lifecycle_expirations = true # the entries' default
  failure_notifications = false
  environment           = "prod"
  source_bucket         = "source-bucket"
  source_prefixes       = ["data/"]
  deploy_localzip       = "tests/fixtures/empty.zip"
  destinations = {
    gov = {
      bucket             = "replica"
      partition          = "aws-us-gov"
      region             = "us-gov-west-1"
      account_id         = "222222222222"
      user_name          = "gov-writer"
      destination_prefix = "copy/"
      kms_key_arn        = "arn:aws-us-gov:kms:us-gov-west-1:222222222222:key/11111111-2222-3333-4444-555555555555"
    }
    cn = {
      bucket            = "replica"
      partition         = "aws-cn"
      region            = "cn-northwest-1"
      source_prefix     = "data/reports/"
      storage_class     = "STANDARD_IA"
      permanent_deletes = false
    }
  }
}

run "two_partitions" {
  command = apply

  assert {
    condition = jsondecode(aws_lambda_function.replicate.environment[0].variables["DESTINATIONS"]) == [
      {
        id           = "cn", bucket = "replica", region = "cn-northwest-1", secretArn = aws_secretsmanager_secret.destination["cn"].arn,
        sourcePrefix = "data/reports/", storageClass = "STANDARD_IA", deleteMarkers = true, permanentDeletes = false, lifecycleExpirations = true
      },
      {
        id                = "gov", bucket = "replica", region = "us-gov-west-1", secretArn = aws_secretsmanager_secret.destination["gov"].arn,
        destinationPrefix = "copy/", kmsKeyId = var.destinations.gov.kms_key_arn, deleteMarkers = true, permanentDeletes = true, lifecycleExpirations = true
      },
    ]
    error_message = "DESTINATIONS must hold one entry per destination, its id the map key (two partitions may share a bucket name), each with its own secret, its options defaulting to the module's."
  }
  assert {
    condition     = { for k, s in aws_secretsmanager_secret.destination : k => s.name } == { cn = "fanout-cn-credentials", gov = "fanout-gov-credentials" } && length(module.destination) == 0 && length(aws_iam_access_key.destination) == 0
    error_message = "Each destination gets its own secret, <name>-<key>-credentials; no destination user is made here (modules/destination does it per provider)."
  }
  assert {
    condition     = sort(one([for s in data.aws_iam_policy_document.replicate.statement : tolist(s.resources) if s.sid == "Secrets"])) == sort([aws_secretsmanager_secret.destination["cn"].arn, aws_secretsmanager_secret.destination["gov"].arn])
    error_message = "The replicate function may read every destination's secret, and no other."
  }
  assert {
    condition     = { for k, p in aws_secretsmanager_secret_policy.destination : k => p.secret_arn } == { for k, s in aws_secretsmanager_secret.destination : k => s.arn }
    error_message = "Every destination's secret carries the resource policy."
  }
  assert {
    condition     = strcontains(aws_secretsmanager_secret.destination["gov"].description, "gov-writer (aws-us-gov)") && strcontains(aws_secretsmanager_secret.destination["cn"].description, "(aws-cn) that writes to replica")
    error_message = "Each secret says whose key it holds, in which partition."
  }
  assert {
    condition = jsonencode(output.destinations) == jsonencode({
      cn  = { id = "cn", bucket = "replica", partition = "aws-cn", region = "cn-northwest-1", account_id = null, user_name = null, secret_arn = aws_secretsmanager_secret.destination["cn"].arn }
      gov = { id = "gov", bucket = "replica", partition = "aws-us-gov", region = "us-gov-west-1", account_id = "222222222222", user_name = "gov-writer", secret_arn = aws_secretsmanager_secret.destination["gov"].arn }
    })
    error_message = "The destinations output must give the key step each destination's partition, region, account, user and secret."
  }
  assert {
    condition     = output.secret_arn == null && output.destination_user_name == null && output.destination_partition == null
    error_message = "The single-destination outputs are null with destinations."
  }
  assert {
    condition     = !contains(keys(aws_lambda_function.replicate.environment[0].variables), "FAILURE_TOPIC_ARN") && !contains([for s in data.aws_iam_policy_document.replicate.statement : s.sid], "FailureNotifications") && output.failure_topic_arn == null
    error_message = "failure_notifications = false: no FAILURE_TOPIC_ARN and no sns:Publish."
  }
  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.source.event_pattern).detail.object.key == [{ prefix = "data/" }]
    error_message = "The one rule reads each source event once for every destination."
  }
}
