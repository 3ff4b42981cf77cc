# One dashboard per instance: the functions' metrics (namespace and service dimension are this
# instance's), the queues, and failures by reason from the replicate function's JSON logs.
locals {
  queue = aws_sqs_queue.main.name
  widgets = [
    {
      title = "Replicated objects and bytes"
      metrics = [
        [local.metrics_namespace, "ObjectsReplicated", "service", local.service_name, { stat = "Sum" }],
        [local.metrics_namespace, "BytesReplicated", "service", local.service_name, { stat = "Sum", yAxis = "right" }],
      ]
    },
    {
      title = "Replication latency (event to done)"
      metrics = [
        [local.metrics_namespace, "ReplicationLatency", "service", local.service_name, { stat = "p50" }],
        [local.metrics_namespace, "ReplicationLatency", "service", local.service_name, { stat = "p99" }],
      ]
    },
    {
      title = "Pending messages and oldest age"
      metrics = [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.queue, { stat = "Maximum" }],
        ["AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "QueueName", local.queue, { stat = "Maximum" }],
        ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", local.queue, { stat = "Maximum", yAxis = "right" }],
      ]
    },
    {
      title = "Dead-letter queues"
      metrics = [
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.dlq.name, { stat = "Maximum" }],
        ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.events_dlq.name, { stat = "Maximum" }],
      ]
    },
    {
      title = "Function errors, throttles and timeouts"
      metrics = concat(
        [for f, name in local.function_names : ["AWS/Lambda", "Errors", "FunctionName", name, { stat = "Sum" }]],
        [for f, name in local.function_names : ["AWS/Lambda", "Throttles", "FunctionName", name, { stat = "Sum" }]],
        [for f, filter in aws_cloudwatch_log_metric_filter.timeouts : [filter.metric_transformation[0].namespace, filter.metric_transformation[0].name, { stat = "Sum" }]],
      )
    },
  ]
  # Failures by reason: the replicate function's disposition lines (dead-lettered with its
  # reason, or retried with the error's name).
  failures_query = join(" | ", [
    "SOURCE '${aws_cloudwatch_log_group.function["replicate"].name}'",
    "filter message = 'message disposition' and (action = 'dead-lettered' or action = 'retry')",
    "stats count(*) as failures by action, coalesce(reason, error.name) as why",
    "sort failures desc",
  ])
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.dashboard ? 1 : 0

  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = concat(
      [for i, w in local.widgets : {
        type       = "metric", x = (i % 2) * 12, y = floor(i / 2) * 6, width = 12, height = 6
        properties = { title = w.title, region = local.source_region, view = "timeSeries", stat = "Sum", period = 300, metrics = w.metrics }
      }],
      [{
        type       = "log", x = 12, y = 12, width = 12, height = 6
        properties = { title = "Failures by reason", region = local.source_region, view = "table", query = local.failures_query }
      }],
    )
  })
}
