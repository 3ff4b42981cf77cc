# Everything in the destination account (provider aws.destination). Every ARN is
# built from the destination partition, never a literal "arn:aws:".

data "aws_partition" "destination" {
  provider = aws.destination
}

data "aws_region" "destination" {
  provider = aws.destination
}

data "aws_caller_identity" "destination" {
  provider = aws.destination
}

locals {
  destination_partition  = data.aws_partition.destination.partition
  destination_region     = coalesce(var.destination_region, data.aws_region.destination.region)
  destination_bucket_arn = "arn:${local.destination_partition}:s3:::${var.destination_bucket}"
  destination_object_arn = "${local.destination_bucket_arn}/${var.destination_prefix}*"
  # kms:ViaService of S3 in the destination bucket's region (the key must be in that region too).
  destination_s3_service = "s3.${local.destination_region}.${data.aws_partition.destination.dns_suffix}"
  # Region name prefix of each partition (us-gov-west-1, cn-north-1).
  region_partition = startswith(local.destination_region, "us-gov-") ? "aws-us-gov" : startswith(local.destination_region, "cn-") ? "aws-cn" : "aws"
}

resource "aws_iam_user" "destination" {
  provider = aws.destination

  name = coalesce(var.destination_user_name, var.name)
  tags = local.tags
}

# Only what the replicate function does on the destination (docs/CONTRACTS.md).
data "aws_iam_policy_document" "destination" {
  provider = aws.destination

  # ListBucket without a prefix condition: HeadObject of a missing key answers 404 only to a
  # caller allowed to list (else 403), and the function must tell "absent" from "denied".
  # ListBucketVersions finds a delete marker made by an attempt that died before recording it.
  statement {
    sid       = "DestinationBucket"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketVersioning"]
    resources = [local.destination_bucket_arn]
  }

  statement {
    sid    = "DestinationObjects"
    effect = "Allow"
    actions = [
      "s3:PutObject",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
      "s3:PutObjectTagging",
      "s3:PutObjectVersionTagging",
      "s3:DeleteObjectTagging",
      "s3:DeleteObjectVersionTagging",
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:GetObject",
      "s3:GetObjectVersion",
    ]
    resources = [local.destination_object_arn]
  }

  # SSE-KMS through S3 only: GenerateDataKey for puts, Decrypt for multipart uploads and reads.
  dynamic "statement" {
    for_each = var.destination_kms_key == null ? [] : [var.destination_kms_key.arn]
    content {
      sid       = "DestinationKey"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.destination_s3_service]
      }
    }
  }
}

resource "aws_iam_user_policy" "destination" {
  provider = aws.destination

  name   = "${var.name}-replicate"
  user   = aws_iam_user.destination.name
  policy = data.aws_iam_policy_document.destination.json

  lifecycle {
    precondition {
      condition     = local.region_partition == local.destination_partition
      error_message = "destination_region (${local.destination_region}) is not in the destination partition (${local.destination_partition}): aws-us-gov uses us-gov-*, aws-cn uses cn-*."
    }
    precondition {
      condition     = var.destination_kms_key == null || try(split(":", var.destination_kms_key.arn)[1] == local.destination_partition, false)
      error_message = "destination_kms_key.arn must be a key in the destination partition (arn:${local.destination_partition}:kms:...)."
    }
  }
}
