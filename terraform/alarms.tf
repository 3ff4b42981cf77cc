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

locals {
  alarms = merge(
    { for f, c in local.functions : "${f}-errors" => {
      description = "The ${f} function reported errors."
      namespace   = "AWS/Lambda", metric = "Errors", statistic = "Sum", threshold = 0
      dimensions  = { FunctionName = aws_lambda_function.this[f].function_name }
    } },
    { for f, c in local.functions : "${f}-duration" => {
      description = "The ${f} function ran longer than ${var.alarm_duration_percent}% of its ${c.timeout} s timeout."
      namespace   = "AWS/Lambda", metric = "Duration", statistic = "Maximum"
      threshold   = c.timeout * 1000 * var.alarm_duration_percent / 100
      dimensions  = { FunctionName = aws_lambda_function.this[f].function_name }
    } },
    { for q, arn in { dlq = aws_sqs_queue.dlq, events-dlq = aws_sqs_queue.events_dlq } : "${q}-not-empty" => {
      description         = "Messages are waiting in ${arn.name}: replication failed for them."
      namespace           = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", threshold = 0
      dimensions          = { QueueName = arn.name }
    } },
    { "oldest-message-age" = {
      description = "The oldest message in the queue is older than ${var.alarm_oldest_message_age_seconds} s (replication lag)."
      namespace   = "AWS/SQS", metric = "ApproximateAgeOfOldestMessage", statistic = "Maximum"
      threshold   = var.alarm_oldest_message_age_seconds
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
