data "aws_partition" "source" {}
data "aws_region" "source" {}
data "aws_caller_identity" "source" {}

# Where the source bucket lives: S3 sends events only to EventBridge in the bucket's region.
data "aws_s3_bucket" "source" {
  bucket = var.source_bucket
}

locals {
  source_partition = data.aws_partition.source.partition
  source_region    = data.aws_region.source.region
  # kms:ViaService of S3 in the source region (s3.cn-north-1.amazonaws.com.cn in China).
  source_s3_service = "s3.${local.source_region}.${data.aws_partition.source.dns_suffix}"

  # Caller tags win over the module's.
  tags = merge({ Application = "partition-s3-replicate", Environment = var.environment }, var.tags)

  source_bucket_arn = "arn:${local.source_partition}:s3:::${var.source_bucket}"
  source_object_arns = (length(var.source_prefixes) == 0 ? ["${local.source_bucket_arn}/*"]
  : [for p in var.source_prefixes : "${local.source_bucket_arn}/${p}*"])

  # The queue must outlive a whole invocation of the replicate function, with retries.
  visibility_timeout_seconds = coalesce(var.queue_visibility_timeout_seconds, 6 * var.replicate_timeout_seconds)

  # Powertools' service dimension and namespace: distinct per instance.
  service_name      = var.name
  metrics_namespace = coalesce(var.metrics_namespace, "PartitionS3Replicate/${var.name}")

  # Every destination, keyed by address: "default" for destination_bucket (its id stays the
  # bucket name, as the state table knows it), the map key for destinations.
  single = var.destination_bucket == null ? {} : {
    default = {
      id                    = var.destination_bucket
      bucket                = var.destination_bucket
      partition             = one(module.destination[*].partition)
      region                = one(module.destination[*].region)
      account_id            = one(module.destination[*].account_id)
      user_name             = one(module.destination[*].user_name)
      source_prefix         = ""
      destination_prefix    = var.destination_prefix
      storage_class         = var.destination_storage_class
      kms_key_arn           = try(var.destination_kms_key.arn, null)
      delete_markers        = var.delete_markers
      permanent_deletes     = var.permanent_deletes
      lifecycle_expirations = var.lifecycle_expirations
      secret_name           = coalesce(var.destination_secret_name, "${var.name}-credentials")
    }
  }
  fanout = { for k, d in var.destinations : k => merge(d, {
    id                    = k
    delete_markers        = coalesce(d.delete_markers, var.delete_markers)
    permanent_deletes     = coalesce(d.permanent_deletes, var.permanent_deletes)
    lifecycle_expirations = coalesce(d.lifecycle_expirations, var.lifecycle_expirations)
    secret_name           = coalesce(d.secret_name, "${var.name}-${k}-credentials")
  }) }
  destinations = merge(local.single, local.fanout)

  # DESTINATIONS (docs/CONTRACTS.md): one object per destination, null and empty fields left out.
  destinations_json = jsonencode([for k, d in local.destinations : { for f, v in {
    id                   = d.id
    bucket               = d.bucket
    region               = d.region
    secretArn            = aws_secretsmanager_secret.destination[k].arn
    sourcePrefix         = d.source_prefix == "" ? null : d.source_prefix
    destinationPrefix    = d.destination_prefix == "" ? null : d.destination_prefix
    storageClass         = d.storage_class
    kmsKeyId             = d.kms_key_arn
    deleteMarkers        = d.delete_markers
    permanentDeletes     = d.permanent_deletes
    lifecycleExpirations = d.lifecycle_expirations
  } : f => v if v != null }])
}

# REPLICATE_SINCE: versions older than this are the backfill's job. Taken once the rule, its
# target and permission exist (and the bucket's EventBridge switch, when the module owns it),
# so every later write is evented; later applies never move it. Turning the rule off and on
# (enabled) takes it again: writes while it was off are older, so the backfill's.
resource "terraform_data" "replicate_since" {
  input            = timestamp()
  triggers_replace = var.enabled ? null : "disabled"

  lifecycle {
    ignore_changes = [input]
  }

  depends_on = [
    aws_cloudwatch_event_rule.source,
    aws_cloudwatch_event_target.relay,
    aws_lambda_permission.events,
    aws_s3_bucket_notification.source,
  ]
}
