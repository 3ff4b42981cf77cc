# FIFO queue between the relay and the replicate function: one message group per key.
resource "aws_sqs_queue" "main" {
  name                        = "${var.name}.fifo"
  fifo_queue                  = true
  content_based_deduplication = false
  deduplication_scope         = "messageGroup"
  fifo_throughput_limit       = "perMessageGroupId"
  visibility_timeout_seconds  = local.visibility_timeout_seconds
  message_retention_seconds   = var.queue_retention_seconds
  sqs_managed_sse_enabled     = true
  tags                        = local.tags

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = var.max_receive_count
  })

  lifecycle {
    # A failed record comes back only after the visibility timeout: a message that keeps
    # failing must reach the DLQ before the queue's retention drops it unseen.
    precondition {
      condition     = var.max_receive_count * local.visibility_timeout_seconds < var.queue_retention_seconds
      error_message = "max_receive_count x the visibility timeout (${var.max_receive_count} x ${local.visibility_timeout_seconds} s) must be less than queue_retention_seconds (${var.queue_retention_seconds} s), else a failing message expires before it reaches the DLQ."
    }
  }
}

# Messages that failed max_receive_count times, or that the replicate function
# sent here at once with the reason (permanent errors).
resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name}-dlq.fifo"
  fifo_queue                = true
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}

# Events the relay function could not take (EventBridge or Lambda async retries exhausted).
# EventBridge dead-letter queues must be standard queues.
resource "aws_sqs_queue" "events_dlq" {
  name                      = "${var.name}-events-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = local.tags
}

data "aws_iam_policy_document" "tls_only" {
  for_each = {
    main       = aws_sqs_queue.main.arn
    dlq        = aws_sqs_queue.dlq.arn
    events_dlq = aws_sqs_queue.events_dlq.arn
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value]

    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "main" {
  queue_url = aws_sqs_queue.main.id
  policy    = data.aws_iam_policy_document.tls_only["main"].json
}

resource "aws_sqs_queue_policy" "dlq" {
  queue_url = aws_sqs_queue.dlq.id
  policy    = data.aws_iam_policy_document.tls_only["dlq"].json
}

data "aws_iam_policy_document" "events_dlq" {
  source_policy_documents = [data.aws_iam_policy_document.tls_only["events_dlq"].json]

  statement {
    sid       = "EventBridgeDeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events_dlq.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.source.arn]
    }
  }
}

resource "aws_sqs_queue_policy" "events_dlq" {
  queue_url = aws_sqs_queue.events_dlq.id
  policy    = data.aws_iam_policy_document.events_dlq.json
}
