data "aws_partition" "source" {}
data "aws_region" "source" {}
data "aws_caller_identity" "source" {}

locals {
  source_partition = data.aws_partition.source.partition
  # kms:ViaService of S3 in the source region (s3.cn-north-1.amazonaws.com.cn in China).
  source_s3_service = "s3.${data.aws_region.source.region}.${data.aws_partition.source.dns_suffix}"

  # Contract names and layout: docs/CONTRACTS.md.
  secret_name = coalesce(var.destination_secret_name, "${var.name}-credentials")
  tags        = merge(var.tags, { Application = "partition-s3-replicate", Environment = var.environment })

  source_bucket_arn = "arn:${local.source_partition}:s3:::${var.source_bucket}"
  source_object_arns = (length(var.source_prefixes) == 0 ? ["${local.source_bucket_arn}/*"]
  : [for p in var.source_prefixes : "${local.source_bucket_arn}/${p}*"])

  # The queue must outlive a whole invocation of the replicate function, with retries.
  visibility_timeout_seconds = coalesce(var.queue_visibility_timeout_seconds, 6 * var.replicate_timeout_seconds)

  # One entry per destination; keys with a null value are left out of the JSON.
  destinations = [{
    for k, v in {
      id                   = var.destination_bucket
      bucket               = var.destination_bucket
      region               = local.destination_region
      secretArn            = aws_secretsmanager_secret.destination.arn
      destinationPrefix    = var.destination_prefix == "" ? null : var.destination_prefix
      storageClass         = var.destination_storage_class
      kmsKeyId             = try(var.destination_kms_key.arn, null)
      deleteMarkers        = var.delete_markers
      permanentDeletes     = var.permanent_deletes
      lifecycleExpirations = var.lifecycle_expirations
    } : k => v if v != null
  }]
}

# REPLICATE_SINCE: fixed at the first apply, never moved by later applies.
# Versions older than this are the backfill's job.
resource "terraform_data" "replicate_since" {
  input = timestamp()

  lifecycle {
    ignore_changes = [input]
  }
}
