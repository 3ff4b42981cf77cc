# The IAM user the replicate function writes the destination with, in the destination account
# (this module's provider). Every ARN is built from this partition, never a literal "arn:aws:".

data "aws_partition" "this" {}
data "aws_region" "this" {}
data "aws_caller_identity" "this" {}

locals {
  partition  = data.aws_partition.this.partition
  region     = coalesce(var.region, data.aws_region.this.region)
  bucket_arn = "arn:${local.partition}:s3:::${var.bucket}"
  # kms:ViaService of S3 in the bucket's region (the key must be in that region too).
  s3_service = "s3.${local.region}.${data.aws_partition.this.dns_suffix}"
  # Partition of a region name (us-gov-west-1, cn-north-1).
  region_partition = startswith(local.region, "us-gov-") ? "aws-us-gov" : startswith(local.region, "cn-") ? "aws-cn" : "aws"
}

# force_destroy: the access key is created out of band; without it a destroy, or any change
# that replaces the user, fails once the key exists.
resource "aws_iam_user" "this" {
  name                 = var.name
  path                 = var.path
  permissions_boundary = var.permissions_boundary_arn
  force_destroy        = true
  tags                 = var.tags
}

# Only what the replicate function does on the destination (docs/CONTRACTS.md).
data "aws_iam_policy_document" "this" {
  # ListBucket without a prefix condition: HeadObject of a missing key answers 404 only to a
  # caller allowed to list (else 403), and the function must tell "absent" from "denied".
  statement {
    sid       = "DestinationBucket"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:GetBucketVersioning"]
    resources = [local.bucket_arn]
  }

  # The function lists a key's destination versions (orphans, duplicates, a delete marker an
  # attempt made but never recorded): only under the prefix.
  statement {
    sid       = "DestinationVersions"
    effect    = "Allow"
    actions   = ["s3:ListBucketVersions"]
    resources = [local.bucket_arn]

    dynamic "condition" {
      for_each = var.prefix == "" ? [] : [var.prefix]
      content {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${condition.value}*"]
      }
    }
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
    resources = ["${local.bucket_arn}/${var.prefix}*"]
  }

  # SSE-KMS through S3 only: GenerateDataKey for puts, Decrypt for multipart uploads and reads.
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DestinationKey"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = [local.s3_service]
      }
    }
  }
}

resource "aws_iam_user_policy" "this" {
  name   = "${var.name}-replicate"
  user   = aws_iam_user.this.name
  policy = data.aws_iam_policy_document.this.json

  lifecycle {
    precondition {
      condition     = local.region_partition == local.partition
      error_message = "The destination region (${local.region}) is not in the destination partition (${local.partition}): aws-us-gov uses us-gov-*, aws-cn uses cn-*."
    }
    precondition {
      condition     = var.kms_key_arn == null || try(split(":", var.kms_key_arn)[1] == local.partition, false)
      error_message = "The destination KMS key must be a key in the destination partition (arn:${local.partition}:kms:...)."
    }
  }
}
