resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.alarm_topic_kms_key_arn
  tags              = local.tags
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# Lambda has no timeout metric, and a duration alarm would fire on every long copy (the
# replicate function runs to its checkpoint margin by design): count the runtime's timeout
# records instead (a system log line at WARN, which logging_config keeps).
resource "aws_cloudwatch_log_metric_filter" "timeouts" {
  for_each = local.functions

  name           = "${var.name}-${each.key}-timeouts"
  log_group_name = aws_cloudwatch_log_group.function[each.key].name
  pattern        = "{ $.record.status = \"timeout\" }"

  metric_transformation {
    namespace     = local.metrics_namespace
    name          = "${title(each.key)}Timeouts"
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

locals {
  function_names = {
    relay     = aws_lambda_function.relay.function_name
    replicate = aws_lambda_function.replicate.function_name
  }
  # Time before the oldest message looks like lag rather than one retried record: a failed
  # record is invisible for the whole visibility timeout before its next receive.
  oldest_message_age_threshold = coalesce(var.alarm_oldest_message_age_seconds, 2 * local.visibility_timeout_seconds)

  alarms = merge(
    { for f, name in local.function_names : "${f}-errors" => {
      description = "The ${f} function reported errors."
      namespace   = "AWS/Lambda", metric = "Errors", statistic = "Sum", threshold = 0
      dimensions  = { FunctionName = name }
    } },
    { for f, filter in aws_cloudwatch_log_metric_filter.timeouts : "${f}-timeouts" => {
      description = "The ${f} function timed out (a copy that cannot finish checkpoints before its timeout; a timeout means it did not)."
      namespace   = filter.metric_transformation[0].namespace, metric = filter.metric_transformation[0].name, statistic = "Sum", threshold = 0
      dimensions  = {}
    } },
    { for q, queue in { dlq = aws_sqs_queue.dlq, events-dlq = aws_sqs_queue.events_dlq } : "${q}-not-empty" => {
      description           = "Messages are waiting in ${queue.name}: replication failed for them."
      namespace             = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", threshold = 0
      dimensions            = { QueueName = queue.name }
    } },
    { "oldest-message-age" = {
      description = "The oldest message in the queue is older than ${local.oldest_message_age_threshold} s: replication lags (a key retried more than once, or a backlog)."
      namespace   = "AWS/SQS", metric = "ApproximateAgeOfOldestMessage", statistic = "Maximum"
      threshold   = local.oldest_message_age_threshold
      dimensions  = { QueueName = aws_sqs_queue.main.name }
    } },
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = each.value.statistic
  dimensions          = each.value.dimensions
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  period              = var.alarm_period_seconds
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}
