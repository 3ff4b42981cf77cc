# Both functions run handlers of the same zip (docs/CONTRACTS.md): relay.handler, replicate.handler.

data "aws_s3_object" "package" {
  count = var.deploy_s3zip == null ? 0 : 1

  bucket = var.deploy_s3zip.bucket
  key    = "${var.deploy_s3zip.prefix}partition-s3-replicate/${var.environment}.zip"
}

locals {
  package = var.deploy_s3zip == null ? {
    filename          = var.deploy_localzip
    s3_bucket         = null
    s3_key            = null
    s3_object_version = null
    # A new build has a new hash: Terraform updates the code.
    source_code_hash = filebase64sha256(var.deploy_localzip)
    } : {
    filename          = null
    s3_bucket         = data.aws_s3_object.package[0].bucket
    s3_key            = data.aws_s3_object.package[0].key
    s3_object_version = data.aws_s3_object.package[0].version_id == "" ? null : data.aws_s3_object.package[0].version_id
    # A new upload has a new ETag/version id, also in unversioned buckets.
    source_code_hash = base64sha256("${data.aws_s3_object.package[0].etag}/${data.aws_s3_object.package[0].version_id}")
  }

  common_environment = {
    NODE_OPTIONS                 = "--enable-source-maps"
    SOURCE_BUCKET                = var.source_bucket
    POWERTOOLS_SERVICE_NAME      = local.service_name
    POWERTOOLS_METRICS_NAMESPACE = local.metrics_namespace
    POWERTOOLS_LOG_LEVEL         = var.log_level
  }

  failure_topic_arn = var.failure_notifications ? coalesce(var.failure_topic_arn, aws_sns_topic.alarms.arn) : null
  # The failure topic's customer managed key, if any: the function encrypts through SNS.
  failure_topic_kms_key_arn = !var.failure_notifications ? null : var.failure_topic_arn == null ? var.alarm_topic_kms_key_arn : var.failure_topic_kms_key_arn

  # Settings of each function (roles, log groups); the functions themselves are two resources
  # because the replicate function needs REPLICATE_SINCE, taken after the relay side exists.
  functions = {
    relay = {
      description = "${var.description} (relay: EventBridge -> FIFO queue)"
      memory_size = var.relay_memory_mb
      timeout     = var.relay_timeout_seconds
      reserved    = var.relay_reserved_concurrency
    }
    replicate = {
      description = "${var.description} (replicate: FIFO queue -> destination)"
      memory_size = var.replicate_memory_mb
      timeout     = var.replicate_timeout_seconds
      reserved    = var.replicate_reserved_concurrency
    }
  }
}

# Not in local.functions: it holds REPLICATE_SINCE, which is taken after the relay side exists.
locals {
  # WHEN_REQUIRED: every body already carries its signed SHA-256, which S3 verifies; the SDK's
  # default CRC32 of each body would be a second hash of the same bytes.
  replicate_environment = merge(local.common_environment, {
    PARTS_IN_FLIGHT                  = tostring(var.parts_in_flight)
    RECORDS_IN_FLIGHT                = tostring(var.records_in_flight)
    AWS_REQUEST_CHECKSUM_CALCULATION = "WHEN_REQUIRED"
    }, var.environment_variables, {
    TABLE_NAME        = aws_dynamodb_table.state.name
    QUEUE_URL         = aws_sqs_queue.main.url
    DLQ_URL           = aws_sqs_queue.dlq.url
    MAX_RECEIVE_COUNT = tostring(var.max_receive_count)
    DESTINATIONS      = local.destinations_json
    HISTORY_MODE      = var.history_mode
    REPLICATE_SINCE   = terraform_data.replicate_since.output
  }, var.failure_notifications ? { FAILURE_TOPIC_ARN = local.failure_topic_arn } : {})
}

resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions

  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_encryption_arn
  tags              = local.tags
}

resource "aws_cloudwatch_log_subscription_filter" "function" {
  for_each = var.log_subscription_arn == null ? {} : local.functions

  name            = "${var.name}-${each.key}"
  log_group_name  = aws_cloudwatch_log_group.function[each.key].name
  filter_pattern  = ""
  destination_arn = var.log_subscription_arn
  role_arn        = var.log_subscription_role_arn
}

resource "aws_lambda_function" "relay" {
  function_name                  = "${var.name}-relay"
  description                    = local.functions.relay.description
  role                           = aws_iam_role.function["relay"].arn
  runtime                        = "nodejs22.x"
  architectures                  = [var.architecture]
  handler                        = "relay.handler"
  memory_size                    = local.functions.relay.memory_size
  timeout                        = local.functions.relay.timeout
  reserved_concurrent_executions = local.functions.relay.reserved
  filename                       = local.package.filename
  s3_bucket                      = local.package.s3_bucket
  s3_key                         = local.package.s3_key
  s3_object_version              = local.package.s3_object_version
  source_code_hash               = local.package.source_code_hash
  tags                           = local.tags

  environment {
    variables = merge(local.common_environment, var.environment_variables, {
      QUEUE_URL = aws_sqs_queue.main.url
    })
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.function["relay"].name
    application_log_level = var.log_level
    system_log_level      = "WARN"
  }

  # Async invocations by EventBridge that fail after Lambda's own retries.
  dead_letter_config {
    target_arn = aws_sqs_queue.events_dlq.arn
  }

  depends_on = [aws_iam_role_policy.function]
}

resource "aws_lambda_function" "replicate" {
  function_name                  = "${var.name}-replicate"
  description                    = local.functions.replicate.description
  role                           = aws_iam_role.function["replicate"].arn
  runtime                        = "nodejs22.x"
  architectures                  = [var.architecture]
  handler                        = "replicate.handler"
  memory_size                    = local.functions.replicate.memory_size
  timeout                        = local.functions.replicate.timeout
  reserved_concurrent_executions = local.functions.replicate.reserved
  filename                       = local.package.filename
  s3_bucket                      = local.package.s3_bucket
  s3_key                         = local.package.s3_key
  s3_object_version              = local.package.s3_object_version
  source_code_hash               = local.package.source_code_hash
  tags                           = local.tags

  environment {
    variables = local.replicate_environment
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.function["replicate"].name
    application_log_level = var.log_level
    system_log_level      = "WARN"
  }

  depends_on = [aws_iam_role_policy.function]
}

resource "aws_lambda_event_source_mapping" "replicate" {
  event_source_arn        = aws_sqs_queue.main.arn
  function_name           = aws_lambda_function.replicate.arn
  batch_size              = var.batch_size
  function_response_types = ["ReportBatchItemFailures"]
  tags                    = local.tags

  dynamic "scaling_config" {
    for_each = var.maximum_concurrency == null ? [] : [var.maximum_concurrency]
    content {
      maximum_concurrency = scaling_config.value
    }
  }
}
