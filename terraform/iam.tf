# Roles of the relay and replicate functions. Actions: docs/CONTRACTS.md.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name                 = "${var.name}-${each.key}"
  path                 = var.iam_role_path
  permissions_boundary = var.iam_role_permissions_boundary_arn
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume.json
  tags                 = local.tags
}

data "aws_iam_policy_document" "relay" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function["relay"].arn}:*"]
  }

  statement {
    sid       = "Queue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.main.arn, aws_sqs_queue.events_dlq.arn]
  }
}

data "aws_iam_policy_document" "replicate" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function["replicate"].arn}:*"]
  }

  # Read-only on the source bucket. Versions are listed only under the configured prefixes;
  # plain ListBucket has no prefix condition because it is what makes a read of a vanished
  # version answer 404 (retried, re-planned) rather than 403 (dead-lettered as access denied).
  statement {
    sid       = "SourceVersions"
    actions   = ["s3:ListBucketVersions"]
    resources = [local.source_bucket_arn]

    dynamic "condition" {
      for_each = length(var.source_prefixes) == 0 ? [] : [1]
      content {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = [for p in var.source_prefixes : "${p}*"]
      }
    }
  }

  statement {
    sid       = "SourceBucket"
    actions   = ["s3:ListBucket"]
    resources = [local.source_bucket_arn]
  }

  statement {
    sid       = "SourceObjects"
    actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging", "s3:GetObjectVersionTagging"]
    resources = local.source_object_arns
  }

  # Decrypt only through S3 in the source region (SSE-KMS reads), never a direct kms:Decrypt.
  dynamic "statement" {
    for_each = length(var.source_kms_keys) == 0 ? [] : [1]
    content {
      sid       = "SourceKeys"
      actions   = ["kms:Decrypt"]
      resources = [for k in var.source_kms_keys : k.arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.source_s3_service]
      }
    }
  }

  statement {
    sid       = "Table"
    actions   = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
    resources = [aws_dynamodb_table.state.arn]
  }

  statement {
    sid       = "Queue"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.main.arn]
  }

  # A checkpointed copy (or one with no time left to start) is sent to the main queue again and
  # the original acknowledged; no ChangeMessageVisibility. The queues use SQS-managed SSE, so
  # SendMessage needs no KMS permission (a customer key on the queue would need
  # kms:GenerateDataKey and kms:Decrypt here).
  statement {
    sid       = "Requeue"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.main.arn]
  }

  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dlq.arn]
  }

  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for s in aws_secretsmanager_secret.destination : s.arn]
  }

  # The secrets' key, only through Secrets Manager.
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

  # One notification per dead-lettered record, to that topic only.
  dynamic "statement" {
    for_each = var.failure_notifications ? [local.failure_topic_arn] : []
    content {
      sid       = "FailureNotifications"
      actions   = ["sns:Publish"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    for_each = local.failure_topic_kms_key_arn == null ? [] : [local.failure_topic_kms_key_arn]
    content {
      sid       = "FailureTopicKey"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sns.${local.source_region}.${data.aws_partition.source.dns_suffix}"]
      }
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name = "${var.name}-${each.key}"
  role = aws_iam_role.function[each.key].id
  policy = {
    relay     = data.aws_iam_policy_document.relay.json
    replicate = data.aws_iam_policy_document.replicate.json
  }[each.key]

  lifecycle {
    precondition {
      condition     = alltrue([for k in var.source_kms_keys : split(":", k.arn)[1] == local.source_partition])
      error_message = "source_kms_keys must be keys in the source partition (${local.source_partition})."
    }
  }
}
