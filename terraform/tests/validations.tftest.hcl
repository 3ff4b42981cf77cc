# Every validation rejects bad input. A run lists several variables in
# expect_failures: it passes only if EACH of them reports its own failure
# (grouped because every run block starts ~4 provider processes).

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { region = "us-east-1" }
  }
  mock_data "aws_s3_bucket" {
    defaults = { bucket_region = "us-east-1" }
  }
}

mock_provider "aws" {
  alias = "destination"

  mock_data "aws_partition" {
    defaults = { partition = "aws-us-gov" }
  }
  mock_data "aws_region" {
    defaults = { region = "us-gov-west-1" }
  }
}

variables {
  environment        = "dev"
  source_bucket      = "source-bucket"
  destination_bucket = "dest-bucket"
  deploy_s3zip       = { bucket = "packages" }
}

run "reject_names_and_locations" {
  command = plan

  variables {
    name                    = "ab" # a table name needs 3
    environment             = "staging"
    source_bucket           = "Source_Bucket"
    source_prefixes         = ["/leading-slash/"]
    source_kms_keys         = [{ arn = "not-an-arn", key_id = "x" }]
    destination_prefix      = "/abs/"
    destination_region      = "mars-central-1a"
    destination_kms_key     = { arn = "arn:aws:s3:::not-a-key", key_id = "x" }
    destination_user_name   = "has space"
    destination_secret_name = "bad#name"
    deploy_localzip         = "tests/fixtures/empty.zip" # and deploy_s3zip: both set
  }

  expect_failures = [
    var.name, var.environment, var.source_bucket, var.source_prefixes, var.source_kms_keys,
    var.destination_prefix, var.destination_region, var.destination_kms_key, var.destination_user_name, var.destination_secret_name,
    var.deploy_localzip,
  ]
}

run "reject_function_settings" {
  command = plan

  variables {
    architecture                      = "arm"
    replicate_timeout_seconds         = 30
    replicate_memory_mb               = 64
    replicate_reserved_concurrency    = -2
    relay_timeout_seconds             = 1000
    relay_memory_mb                   = 20000
    relay_reserved_concurrency        = -5
    log_level                         = "TRACE"
    log_retention_days                = 10
    log_encryption_arn                = "alias/logs"
    log_subscription_arn              = "arn:aws:sns:us-east-1:111111111111:topic"
    environment_variables             = { POWERTOOLS_METRICS_NAMESPACE = "other" }
    iam_role_path                     = "no-slashes"
    iam_role_permissions_boundary_arn = "boundary"
    metrics_namespace                 = "AWS/Lambda"
    deploy_s3zip                      = { bucket = "packages", prefix = "/no-slash" }
  }

  expect_failures = [
    var.architecture, var.replicate_timeout_seconds, var.replicate_memory_mb, var.replicate_reserved_concurrency,
    var.relay_timeout_seconds, var.relay_memory_mb, var.relay_reserved_concurrency, var.log_level, var.log_retention_days,
    var.log_encryption_arn, var.log_subscription_arn, var.environment_variables, var.deploy_s3zip, var.iam_role_path,
    var.iam_role_permissions_boundary_arn, var.metrics_namespace,
  ]
}

run "reject_queue_alarm_and_replication_settings" {
  command = plan

  variables {
    queue_retention_seconds          = 3600
    max_receive_count                = 0
    batch_size                       = 11
    maximum_concurrency              = 1
    event_retry_attempts             = 200
    event_max_age_seconds            = 10
    alarm_email                      = "not-an-address"
    alarm_topic_kms_key_arn          = "alias/aws/sns"
    failure_topic_arn                = "arn:aws:sqs:us-east-1:111111111111:not-a-topic"
    failure_topic_kms_key_arn        = "key"
    secret_reader_arns               = ["operator"]
    alarm_period_seconds             = 90
    history_mode                     = "some"
    destination_storage_class        = "COLD"
    parts_in_flight                  = 0
    records_in_flight                = 11
    secret_recovery_window_days      = 3
    secret_kms_key_arn               = "key"
    queue_visibility_timeout_seconds = 5399 # < 6 x 900
    deploy_s3zip                     = null # and no deploy_localzip: no package
  }

  expect_failures = [
    var.queue_retention_seconds, var.max_receive_count, var.batch_size, var.maximum_concurrency, var.event_retry_attempts,
    var.event_max_age_seconds, var.alarm_email, var.alarm_topic_kms_key_arn,
    var.failure_topic_arn, var.failure_topic_kms_key_arn, var.secret_reader_arns,
    var.alarm_period_seconds, var.history_mode, var.destination_storage_class, var.parts_in_flight, var.records_in_flight,
    var.secret_recovery_window_days, var.secret_kms_key_arn, var.queue_visibility_timeout_seconds, var.deploy_localzip,
  ]
}

# --- fan-out: each destinations rule in a run of its own (one variable reports one failure)

run "reject_both_destination_modes" {
  command = plan

  variables {
    destinations = { gov = { bucket = "replica", partition = "aws-us-gov", region = "us-gov-west-1" } }
  }

  expect_failures = [var.destination_bucket]
}

run "reject_access_key_with_fanout" {
  command = plan

  variables {
    destination_bucket = null
    destinations       = { gov = { bucket = "replica", partition = "aws-us-gov", region = "us-gov-west-1" } }
    create_access_key  = true
  }

  expect_failures = [var.create_access_key]
}

# A validation that refers to another variable runs only when that one is valid: runs of their own.
run "reject_age_alarm_below_visibility" {
  command = plan

  variables {
    alarm_oldest_message_age_seconds = 5400 # = the visibility timeout: a single retried record would alarm
  }

  expect_failures = [var.alarm_oldest_message_age_seconds]
}

run "reject_destination_bucket_name" {
  command = plan

  variables {
    destination_bucket = "a..b"
  }

  expect_failures = [var.destination_bucket]
}

run "reject_no_destination" {
  command = plan

  variables {
    destination_bucket = null
  }

  expect_failures = [var.destination_bucket]
}

run "reject_destination_id_and_bucket" {
  command = plan

  variables {
    destination_bucket = null
    destinations       = { "gov cloud" = { bucket = "replica", partition = "aws-us-gov", region = "us-gov-west-1" } }
  }

  expect_failures = [var.destinations]
}

run "reject_region_outside_partition" {
  command = plan

  variables {
    destination_bucket = null
    destinations       = { gov = { bucket = "replica", partition = "aws-us-gov", region = "us-east-1" } }
  }

  expect_failures = [var.destinations]
}

run "reject_key_outside_partition" {
  command = plan

  variables {
    destination_bucket = null
    destinations       = { cn = { bucket = "replica", partition = "aws-cn", region = "cn-north-1", kms_key_arn = "arn:aws:kms:cn-north-1:111111111111:key/x" } }
  }

  expect_failures = [var.destinations]
}

run "reject_storage_class" {
  command = plan

  variables {
    destination_bucket = null
    destinations       = { gov = { bucket = "replica", partition = "aws-us-gov", region = "us-gov-west-1", storage_class = "COLD" } }
  }

  expect_failures = [var.destinations]
}

run "reject_source_prefix_without_events" {
  command = plan

  variables {
    source_prefixes    = ["data/"]
    destination_bucket = null
    destinations       = { gov = { bucket = "replica", partition = "aws-us-gov", region = "us-gov-west-1", source_prefix = "logs/" } }
  }

  expect_failures = [var.destinations]
}

run "reject_account_and_secret_name" {
  command = plan

  variables {
    destination_bucket = null
    destinations       = { gov = { bucket = "replica", partition = "aws-us-gov", region = "us-gov-west-1", account_id = "12345" } }
  }

  expect_failures = [var.destinations]
}

run "reject_single_destination_settings_with_fanout" {
  command = plan

  variables {
    destination_bucket = null
    destination_prefix = "ignored/"
    destinations       = { gov = { bucket = "replica", partition = "aws-us-gov", region = "us-gov-west-1" } }
  }

  expect_failures = [var.destinations]
}
