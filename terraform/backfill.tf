# Optional backfill at scale (DESIGN §12): a Step Functions state machine whose Distributed Map
# reads the source's listing (ListObjectsV2 under a prefix) or an S3 Inventory manifest, and
# hands batches of keys to the backfill function (third handler of the zip), which sends one
# converge message per key to the FIFO queue in the key's group. Then the destination is paged
# for keys the source no longer has, and a report goes to S3. Everything here is off unless
# enable_backfill is true. The state machine's definition: backfill.asl.json.

variable "enable_backfill" {
  description = "Create the backfill state machine and function (see README: Backfill, verify, reconcile)."
  type        = bool
  default     = false
}

variable "backfill_report_bucket" {
  description = "Bucket (source account and region) receiving each run's Map Run results and report.json. Required when enable_backfill is true."
  type        = string
  default     = null

  validation {
    condition     = var.backfill_report_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.backfill_report_bucket))
    error_message = "backfill_report_bucket must be an S3 bucket name."
  }
}

variable "backfill_report_prefix" {
  description = "Key prefix of the reports: <prefix><execution name>/report.json. Ends with '/', does not begin with '/'."
  type        = string
  default     = "partition-s3-replicate/backfill/"

  validation {
    condition     = can(regex("^[^/].*/$", var.backfill_report_prefix))
    error_message = "backfill_report_prefix must end with '/' and must not begin with '/'."
  }
}

variable "backfill_inventory_buckets" {
  description = "Buckets holding S3 Inventory reports of the source that a run may read (manifest and data files). Empty: listing only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for b in var.backfill_inventory_buckets : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", b))])
    error_message = "backfill_inventory_buckets must hold S3 bucket names."
  }
}

variable "backfill_max_concurrency" {
  description = "Child batches of the Distributed Map running at once (each one backfill invocation)."
  type        = number
  default     = 50

  validation {
    condition     = var.backfill_max_concurrency >= 1 && var.backfill_max_concurrency <= 10000 && floor(var.backfill_max_concurrency) == var.backfill_max_concurrency
    error_message = "backfill_max_concurrency must be a whole number from 1 to 10000."
  }
}

variable "backfill_batch_size" {
  description = "Keys per child batch (one backfill invocation sends them with SendMessageBatch, 10 a request)."
  type        = number
  default     = 500

  validation {
    condition     = var.backfill_batch_size >= 1 && var.backfill_batch_size <= 2000 && floor(var.backfill_batch_size) == var.backfill_batch_size
    error_message = "backfill_batch_size must be a whole number from 1 to 2000."
  }
}

variable "backfill_tolerated_failure_percentage" {
  description = "Percentage of child batches that may fail before the Map Run fails (their keys are listed in the report)."
  type        = number
  default     = 0

  validation {
    condition     = var.backfill_tolerated_failure_percentage >= 0 && var.backfill_tolerated_failure_percentage <= 100
    error_message = "backfill_tolerated_failure_percentage must be from 0 to 100."
  }
}

variable "backfill_timeout_seconds" {
  description = "Timeout of the backfill function (a batch, a page of extras, or the report)."
  type        = number
  default     = 300

  validation {
    condition     = var.backfill_timeout_seconds >= 30 && var.backfill_timeout_seconds <= 900
    error_message = "backfill_timeout_seconds must be from 30 to 900."
  }
}

locals {
  backfill       = var.enable_backfill ? 1 : 0
  backfill_name  = "${var.name}-backfill"
  backfill_arn   = "arn:${local.source_partition}:states:${data.aws_region.source.region}:${data.aws_caller_identity.source.account_id}"
  backfill_sm    = "${local.backfill_arn}:stateMachine:${local.backfill_name}"
  report_objects = "arn:${local.source_partition}:s3:::${coalesce(var.backfill_report_bucket, "-")}/${var.backfill_report_prefix}*"
  # ListBucket under the configured source prefixes only (none: the whole bucket).
  source_prefix_condition = length(var.source_prefixes) == 0 ? [] : [[for p in var.source_prefixes : "${p}*"]]
}

# ---------------------------------------------------------------- the backfill function

resource "aws_cloudwatch_log_group" "backfill" {
  count = local.backfill

  name              = "/aws/lambda/${local.backfill_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_encryption_arn
  tags              = local.tags
}

resource "aws_iam_role" "backfill" {
  count = local.backfill

  name                 = local.backfill_name
  path                 = var.iam_role_path
  permissions_boundary = var.iam_role_permissions_boundary_arn
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume.json
  tags                 = local.tags
}

data "aws_iam_policy_document" "backfill" {
  count = local.backfill

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.backfill[0].arn}:*"]
  }

  # One converge message per key, in the key's group. SQS-managed SSE: no KMS permission.
  statement {
    sid       = "Enqueue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.main.arn]
  }

  # Extras: the source's current keys over the range of each destination page.
  statement {
    sid       = "SourceKeys"
    actions   = ["s3:ListBucket"]
    resources = [local.source_bucket_arn]

    dynamic "condition" {
      for_each = local.source_prefix_condition
      content {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = condition.value
      }
    }
  }

  statement {
    sid       = "Reports"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = [local.report_objects]
  }

  # A missing page of extras must read as 404 (the end), not 403.
  statement {
    sid       = "ReportKeys"
    actions   = ["s3:ListBucket"]
    resources = ["arn:${local.source_partition}:s3:::${coalesce(var.backfill_report_bucket, "-")}"]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.backfill_report_prefix}*"]
    }
  }

  # Extras: the destination is listed with the destination user's keys.
  statement {
    sid       = "Secret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for s in aws_secretsmanager_secret.destination : s.arn]
  }

  dynamic "statement" {
    for_each = var.secret_kms_key_arn == null ? [] : [var.secret_kms_key_arn]
    content {
      sid       = "SecretKey"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.source_region}.${data.aws_partition.source.dns_suffix}"]
      }
    }
  }
}

resource "aws_iam_role_policy" "backfill" {
  count = local.backfill

  name   = local.backfill_name
  role   = aws_iam_role.backfill[0].id
  policy = data.aws_iam_policy_document.backfill[0].json
}

resource "aws_lambda_function" "backfill" {
  count = local.backfill

  function_name     = local.backfill_name
  description       = "${var.description} (backfill: source keys -> FIFO queue)"
  role              = aws_iam_role.backfill[0].arn
  runtime           = "nodejs22.x"
  architectures     = [var.architecture]
  handler           = "backfill.handler"
  memory_size       = 512
  timeout           = var.backfill_timeout_seconds
  filename          = local.package.filename
  s3_bucket         = local.package.s3_bucket
  s3_key            = local.package.s3_key
  s3_object_version = local.package.s3_object_version
  source_code_hash  = local.package.source_code_hash
  tags              = local.tags

  # The replicate function's configuration: same queue, source, destinations and history.
  environment {
    variables = local.replicate_environment
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.backfill[0].name
    application_log_level = var.log_level
    system_log_level      = "WARN"
  }

  depends_on = [aws_iam_role_policy.backfill]

  lifecycle {
    precondition {
      condition     = var.backfill_report_bucket != null
      error_message = "backfill_report_bucket is required when enable_backfill is true."
    }
  }
}

# ---------------------------------------------------------------- the state machine

data "aws_iam_policy_document" "states_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.source.account_id]
    }
  }
}

resource "aws_iam_role" "backfill_states" {
  count = local.backfill

  name                 = "${local.backfill_name}-states"
  path                 = var.iam_role_path
  permissions_boundary = var.iam_role_permissions_boundary_arn
  assume_role_policy   = data.aws_iam_policy_document.states_assume.json
  tags                 = local.tags
}

data "aws_iam_policy_document" "backfill_states" {
  count = local.backfill

  statement {
    sid       = "InvokeBackfill"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_function.backfill[0].arn, "${aws_lambda_function.backfill[0].arn}:*"]
  }

  # The Distributed Map runs its child workflows as executions of this state machine.
  statement {
    sid       = "ChildExecutions"
    actions   = ["states:StartExecution"]
    resources = [local.backfill_sm]
  }

  statement {
    sid       = "ManageExecutions"
    actions   = ["states:DescribeExecution", "states:StopExecution", "states:RedriveExecution"]
    resources = ["${local.backfill_arn}:execution:${local.backfill_name}:*"]
  }

  statement {
    sid       = "MapRuns"
    actions   = ["states:DescribeMapRun", "states:UpdateMapRun", "states:ListMapRuns"]
    resources = ["${local.backfill_arn}:mapRun:${local.backfill_name}/*", local.backfill_sm]
  }

  # ItemReader: ListObjectsV2 of the source, under the configured prefixes.
  statement {
    sid       = "ListSource"
    actions   = ["s3:ListBucket"]
    resources = [local.source_bucket_arn]

    dynamic "condition" {
      for_each = local.source_prefix_condition
      content {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = condition.value
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.backfill_inventory_buckets) == 0 ? [] : [1]
    content {
      sid       = "ReadInventory"
      actions   = ["s3:GetObject"]
      resources = [for b in var.backfill_inventory_buckets : "arn:${local.source_partition}:s3:::${b}/*"]
    }
  }

  # ResultWriter: the Map Run's results, written with multipart uploads.
  statement {
    sid       = "WriteResults"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"]
    resources = [local.report_objects]
  }
}

resource "aws_iam_role_policy" "backfill_states" {
  count = local.backfill

  name   = "${local.backfill_name}-states"
  role   = aws_iam_role.backfill_states[0].id
  policy = data.aws_iam_policy_document.backfill_states[0].json
}

resource "aws_sfn_state_machine" "backfill" {
  count = local.backfill

  name     = local.backfill_name
  role_arn = aws_iam_role.backfill_states[0].arn
  type     = "STANDARD"
  tags     = local.tags

  definition = templatefile("${path.module}/backfill.asl.json", {
    partition                    = local.source_partition
    source_bucket                = var.source_bucket
    report_bucket                = coalesce(var.backfill_report_bucket, "-")
    report_prefix                = var.backfill_report_prefix
    function_arn                 = aws_lambda_function.backfill[0].arn
    batch_size                   = var.backfill_batch_size
    max_concurrency              = var.backfill_max_concurrency
    tolerated_failure_percentage = var.backfill_tolerated_failure_percentage
  })

  depends_on = [aws_iam_role_policy.backfill_states]
}

# A failed, timed-out or aborted run: keys were not all enqueued (see its report.json).
resource "aws_cloudwatch_metric_alarm" "backfill" {
  for_each = var.enable_backfill ? toset(["ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"]) : toset([])

  alarm_name          = "${local.backfill_name}-${lower(trimprefix(each.key, "Executions"))}"
  alarm_description   = "A backfill run ended ${lower(trimprefix(each.key, "Executions"))}: not every key was enqueued; its report.json lists the failed keys."
  namespace           = "AWS/States"
  metric_name         = each.key
  statistic           = "Sum"
  dimensions          = { StateMachineArn = aws_sfn_state_machine.backfill[0].arn }
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}

output "backfill_state_machine_arn" {
  description = "The backfill state machine (null unless enable_backfill). Start it with {\"prefix\": \"...\", \"history\": \"all\"} (README: Backfill, verify, reconcile)."
  value       = var.enable_backfill ? aws_sfn_state_machine.backfill[0].arn : null
}

output "backfill_function_name" {
  description = "The backfill function (null unless enable_backfill)."
  value       = var.enable_backfill ? aws_lambda_function.backfill[0].function_name : null
}

output "backfill_reports" {
  description = "Where each run's report goes: s3://<bucket>/<prefix><execution name>/report.json (null unless enable_backfill)."
  value       = var.enable_backfill && var.backfill_report_bucket != null ? "s3://${var.backfill_report_bucket}/${var.backfill_report_prefix}" : null
}

# The CLI reads the replicate function's configuration (README: Onboarding): no secret in here,
# the destinations name their secrets by ARN.
output "cli_environment" {
  description = "Environment variables for the partition-s3-replicate CLI (verify, backfill, reconcile, status, redrive): the replicate function's own configuration."
  value = { for k in ["SOURCE_BUCKET", "TABLE_NAME", "QUEUE_URL", "DLQ_URL", "DESTINATIONS", "HISTORY_MODE", "REPLICATE_SINCE"] :
  k => local.replicate_environment[k] if contains(keys(local.replicate_environment), k) }
}
