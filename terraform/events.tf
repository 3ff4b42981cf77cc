# aws_s3_bucket_notification owns the bucket's WHOLE notification configuration:
# enabling this replaces any queue/topic/function notifications set elsewhere.
resource "aws_s3_bucket_notification" "source" {
  count = var.enable_source_eventbridge ? 1 : 0

  bucket      = var.source_bucket
  eventbridge = true
}

locals {
  # EventBridge carries the key form-URL-encoded (space as "+", "/" kept), so
  # prefixes are matched in that form.
  event_key_prefixes = [for p in var.source_prefixes : replace(urlencode(p), "%2F", "/")]
  event_detail = merge(
    { bucket = { name = [var.source_bucket] } },
    length(var.source_prefixes) == 0 ? {} : { object = { key = [for p in local.event_key_prefixes : { prefix = p }] } },
  )
}

resource "aws_cloudwatch_event_rule" "source" {
  name        = "${var.name}-source"
  description = "S3 object events of ${var.source_bucket} for ${var.name}"
  state       = var.enabled ? "ENABLED" : "DISABLED"
  tags        = local.tags

  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created", "Object Deleted", "Object Tags Added", "Object Tags Deleted"]
    detail        = local.event_detail
  })

  lifecycle {
    precondition {
      condition     = data.aws_s3_bucket.source.bucket_region == local.source_region
      error_message = "The source bucket ${var.source_bucket} is in ${data.aws_s3_bucket.source.bucket_region}, but the aws provider's region is ${local.source_region}: S3 sends events only to EventBridge in the bucket's region, so the rule would get none. Deploy with the provider in the bucket's region."
    }
  }
}

resource "aws_cloudwatch_event_target" "relay" {
  rule      = aws_cloudwatch_event_rule.source.name
  target_id = "relay"
  arn       = aws_lambda_function.relay.arn

  retry_policy {
    maximum_retry_attempts       = var.event_retry_attempts
    maximum_event_age_in_seconds = var.event_max_age_seconds
  }

  dead_letter_config {
    arn = aws_sqs_queue.events_dlq.arn
  }
}

resource "aws_lambda_permission" "events" {
  statement_id   = "AllowEventBridge"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.relay.function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.source.arn
  source_account = data.aws_caller_identity.source.account_id
}
