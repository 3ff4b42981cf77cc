################################################################################
# General
################################################################################

variable "name" {
  description = "Name of the deployment; prefixes every resource name (functions, queues, table, topic, user). 3-40 characters: letters, digits, hyphens (the table name needs at least 3)."
  type        = string
  default     = "partition-s3-replicate"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9-]{2,39}$", var.name))
    error_message = "name must be 3-40 characters: a letter, then letters, digits or hyphens."
  }
}

variable "enabled" {
  description = "State of the EventBridge rule that feeds the pipeline. Set false for the first apply, do the one-time key step, then set true: events are not dead-lettered for want of a key, and REPLICATE_SINCE is taken when the rule is turned on (older versions are the backfill's)."
  type        = bool
  default     = true
}

variable "description" {
  description = "Description set on both Lambda functions."
  type        = string
  default     = "Replicates S3 objects to a bucket in another AWS partition"
}

variable "environment" {
  description = "Deployment environment; also names the S3 package key (<prefix>partition-s3-replicate/<environment>.zip). One of dev, test, prod, devtest, qa."
  type        = string

  validation {
    condition     = contains(["dev", "test", "prod", "devtest", "qa"], var.environment)
    error_message = "environment must be one of: dev, test, prod, devtest, qa."
  }
}

variable "tags" {
  description = "Tags added to every resource that takes tags (both providers); they win over the module's own Application and Environment tags."
  type        = map(string)
  default     = {}
}

################################################################################
# Source (provider aws)
################################################################################

variable "source_bucket" {
  description = "Name of the source bucket (in the account and partition of the default aws provider)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.source_bucket)) && !strcontains(var.source_bucket, "..")
    error_message = "source_bucket must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit, no '..'."
  }
}

variable "source_prefixes" {
  description = "Key prefixes to replicate (e.g. [\"data/\", \"logs/\"]); empty = the whole bucket. Filters the EventBridge rule and scopes the read permissions."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for p in var.source_prefixes : length(p) > 0 && length(p) <= 1024 && !startswith(p, "/") && !strcontains(p, "*")])
    error_message = "source_prefixes entries must be 1-1024 characters, must not start with '/' and must not contain '*'."
  }
}

variable "source_kms_keys" {
  description = "KMS keys that encrypt objects in the source bucket; the replicate function gets kms:Decrypt on each arn, only through S3 in the source region (kms:ViaService)."
  type = list(object({
    arn    = string
    key_id = string
  }))
  default = []

  validation {
    condition     = alltrue([for k in var.source_kms_keys : can(regex("^arn:aws(-us-gov|-cn)?:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", k.arn))])
    error_message = "source_kms_keys[*].arn must be a KMS key ARN: arn:<aws|aws-us-gov|aws-cn>:kms:<region>:<account>:key/<id>."
  }
}

variable "enable_source_eventbridge" {
  description = "Turn on EventBridge notifications for the source bucket. Off by default: aws_s3_bucket_notification REPLACES the bucket's whole notification configuration, so only enable it when this module may own it."
  type        = bool
  default     = false
}

################################################################################
# Destination (provider aws.destination)
################################################################################

variable "destination_bucket" {
  description = "The simple case, one destination: name of the destination bucket (in the account and partition of the aws.destination provider), whose IAM user the module creates. Exactly one of destination_bucket and destinations."
  type        = string
  default     = null

  validation {
    condition     = (var.destination_bucket == null) != (length(var.destinations) == 0)
    error_message = "Set exactly one of destination_bucket (one destination) and destinations (fan-out)."
  }
  validation {
    condition     = var.destination_bucket == null || (can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", coalesce(var.destination_bucket, "x"))) && !strcontains(coalesce(var.destination_bucket, "x"), ".."))
    error_message = "destination_bucket must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit, no '..'."
  }
}

variable "destination_prefix" {
  description = "Prefix prepended to every key written to the destination (\"\" = same keys). Also scopes the destination user's permissions."
  type        = string
  default     = ""

  validation {
    condition     = length(var.destination_prefix) <= 512 && !startswith(var.destination_prefix, "/") && !strcontains(var.destination_prefix, "*")
    error_message = "destination_prefix must be at most 512 characters, must not start with '/' and must not contain '*'."
  }
}

variable "destination_region" {
  description = "Region of the destination bucket; null = the aws.destination provider's region. Must belong to the destination partition (us-gov-* for aws-us-gov, cn-* for aws-cn)."
  type        = string
  default     = null

  validation {
    condition     = var.destination_region == null || can(regex("^(us-gov|cn|[a-z]{2})-[a-z]+-[0-9]$", var.destination_region))
    error_message = "destination_region must be a region name such as us-east-1, us-gov-west-1 or cn-north-1."
  }
}

variable "destination_kms_key" {
  description = "KMS key for SSE-KMS on the destination objects (null = the bucket's default encryption; if that default is a customer managed key, give it here, else every write is denied). The destination user gets kms:GenerateDataKey and kms:Decrypt on it, only through S3 in destination_region (kms:ViaService)."
  type = object({
    arn    = string
    key_id = string
  })
  default = null

  validation {
    condition     = var.destination_kms_key == null || can(regex("^arn:aws(-us-gov|-cn)?:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", try(var.destination_kms_key.arn, "")))
    error_message = "destination_kms_key.arn must be a KMS key ARN: arn:<aws|aws-us-gov|aws-cn>:kms:<region>:<account>:key/<id>."
  }
}

variable "destination_storage_class" {
  description = "Storage class of the replicas; null = the source object's storage class."
  type        = string
  default     = null

  validation {
    condition     = var.destination_storage_class == null || contains(["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"], coalesce(var.destination_storage_class, "STANDARD"))
    error_message = "destination_storage_class must be null or one of: STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER, GLACIER_IR, DEEP_ARCHIVE, REDUCED_REDUNDANCY."
  }
}

variable "destination_user_name" {
  description = "Name of the IAM user created in the destination account; null = var.name."
  type        = string
  default     = null

  validation {
    condition     = var.destination_user_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", coalesce(var.destination_user_name, "x")))
    error_message = "destination_user_name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "destination_secret_name" {
  description = "Name of the Secrets Manager secret (source account) holding the destination user's access key; null = \"<name>-credentials\"."
  type        = string
  default     = null

  validation {
    condition     = var.destination_secret_name == null || can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", coalesce(var.destination_secret_name, "x")))
    error_message = "destination_secret_name must be 1-512 characters of letters, digits and /_+=.@-."
  }
}

variable "destination_user_path" {
  description = "IAM path of the destination user (e.g. \"/replication/\"); \"/\" = none."
  type        = string
  default     = "/"
}

variable "destination_user_permissions_boundary_arn" {
  description = "Managed policy ARN (destination partition) set as the destination user's permissions boundary; null = none."
  type        = string
  default     = null
}

variable "create_access_key" {
  description = "Create the destination user's access key and write it into the secret (destination_bucket only). WARNING: the secret access key is then stored in the Terraform state. Off by default: create the key by hand and put it in the secret (see README)."
  type        = bool
  default     = false

  validation {
    condition     = !var.create_access_key || var.destination_bucket != null
    error_message = "create_access_key works with destination_bucket only; with destinations, put each key in its secret by hand (see README)."
  }
}

variable "secret_kms_key_arn" {
  description = "KMS key ARN for the secret; null = aws/secretsmanager. The replicate function gets kms:Decrypt on it."
  type        = string
  default     = null

  validation {
    condition     = var.secret_kms_key_arn == null || can(regex("^arn:aws(-us-gov|-cn)?:kms:", coalesce(var.secret_kms_key_arn, "x")))
    error_message = "secret_kms_key_arn must be null or a KMS key ARN (arn:<aws|aws-us-gov|aws-cn>:kms:...)."
  }
}

variable "secret_reader_arns" {
  description = "IAM principal ARNs (source account) that may read the destination secrets besides the replicate and backfill roles, e.g. an operator role that runs the CLI's verify. The secrets' resource policy denies GetSecretValue to everyone else (with create_access_key, the deploying role too, since Terraform reads the secret version back)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.secret_reader_arns : can(regex("^arn:aws(-us-gov|-cn)?:(iam|sts)::[0-9]{12}:.+$", a))])
    error_message = "secret_reader_arns entries must be IAM ARNs: arn:<aws|aws-us-gov|aws-cn>:iam::<account>:<role|user>/...."
  }
}

variable "secret_recovery_window_days" {
  description = "Days Secrets Manager keeps the secret after deletion: 0 (delete at once) or 7-30."
  type        = number
  default     = 7

  validation {
    condition     = var.secret_recovery_window_days == 0 || (var.secret_recovery_window_days >= 7 && var.secret_recovery_window_days <= 30)
    error_message = "secret_recovery_window_days must be 0 or between 7 and 30."
  }
}

################################################################################
# Fan-out: several destinations, one pipeline
################################################################################

variable "destinations" {
  description = "Fan-out: one entry per destination, keyed by its id (1-64 of letters, digits, _ . -; the id names the destination in the state table, logs and the secret, so keep it). Each destination gets its own secret; its IAM user comes from a modules/destination call with that destination's provider. partition and region are the bucket's; account_id and user_name only feed the key-step outputs. source_prefix: only keys under it, written under destination_prefix instead. delete_markers, permanent_deletes and lifecycle_expirations default to the module variables of those names. Exactly one of destination_bucket and destinations."
  type = map(object({
    bucket                = string
    partition             = string
    region                = string
    account_id            = optional(string)
    user_name             = optional(string)
    source_prefix         = optional(string, "")
    destination_prefix    = optional(string, "")
    storage_class         = optional(string)
    kms_key_arn           = optional(string)
    delete_markers        = optional(bool)
    permanent_deletes     = optional(bool)
    lifecycle_expirations = optional(bool)
    secret_name           = optional(string)
  }))
  default = {}

  validation {
    condition     = length(var.destinations) == 0 || (var.destination_prefix == "" && var.destination_region == null && var.destination_kms_key == null && var.destination_storage_class == null && var.destination_user_name == null && var.destination_secret_name == null)
    error_message = "With destinations, set each destination's fields in its entry: destination_prefix, destination_region, destination_kms_key, destination_storage_class, destination_user_name and destination_secret_name belong to destination_bucket."
  }

  validation {
    condition     = alltrue([for k, d in var.destinations : can(regex("^[A-Za-z0-9_.-]{1,64}$", k)) && can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", d.bucket)) && !strcontains(d.bucket, "..")])
    error_message = "destinations keys must be 1-64 letters, digits, _ . or -, and each bucket an S3 bucket name (3-63 of a-z, 0-9, '.', '-', no '..')."
  }
  validation {
    condition = alltrue([for d in var.destinations : contains(["aws", "aws-us-gov", "aws-cn"], d.partition) && can(regex("^(us-gov|cn|[a-z]{2})-[a-z]+-[0-9]$", d.region)) && (
    startswith(d.region, "us-gov-") ? "aws-us-gov" : startswith(d.region, "cn-") ? "aws-cn" : "aws") == d.partition])
    error_message = "destinations[*].partition must be aws, aws-us-gov or aws-cn, and region a region of that partition (us-gov-* for aws-us-gov, cn-* for aws-cn)."
  }
  validation {
    condition     = alltrue([for d in var.destinations : d.kms_key_arn == null || can(regex("^arn:${d.partition}:kms:${d.region}:[0-9]{12}:key/.+$", coalesce(d.kms_key_arn, "x")))])
    error_message = "destinations[*].kms_key_arn must be null or a KMS key ARN in the destination's partition and region (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
  validation {
    condition     = alltrue([for d in var.destinations : d.storage_class == null || contains(["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"], coalesce(d.storage_class, "STANDARD"))])
    error_message = "destinations[*].storage_class must be null or one of: STANDARD, STANDARD_IA, ONEZONE_IA, INTELLIGENT_TIERING, GLACIER, GLACIER_IR, DEEP_ARCHIVE, REDUCED_REDUNDANCY."
  }
  validation {
    condition = alltrue([for d in var.destinations : alltrue([for p in [d.source_prefix, d.destination_prefix] : length(p) <= 512 && !startswith(p, "/") && !strcontains(p, "*")]) && (
    d.source_prefix == "" || length(var.source_prefixes) == 0 || anytrue([for p in var.source_prefixes : startswith(d.source_prefix, p)]))])
    error_message = "destinations[*].source_prefix and destination_prefix must be at most 512 characters without a leading '/' or '*', and a source_prefix must lie under one of source_prefixes (no events arrive elsewhere)."
  }
  validation {
    condition     = alltrue([for d in var.destinations : (d.account_id == null || can(regex("^[0-9]{12}$", coalesce(d.account_id, "x")))) && (d.secret_name == null || can(regex("^[A-Za-z0-9/_+=.@-]{1,512}$", coalesce(d.secret_name, "x"))))])
    error_message = "destinations[*].account_id must be null or 12 digits, and secret_name null or 1-512 characters of letters, digits and /_+=.@-."
  }
}

################################################################################
# Replication behaviour
################################################################################

variable "history_mode" {
  description = "all = copy every source version newer than the last mirrored one (keeps the version history); latest = copy only the current version. One of all, latest."
  type        = string
  default     = "all"

  validation {
    condition     = contains(["all", "latest"], var.history_mode)
    error_message = "history_mode must be one of: all, latest."
  }
}

variable "delete_markers" {
  description = "Replicate delete markers (the source's current version is a delete marker)."
  type        = bool
  default     = true
}

variable "permanent_deletes" {
  description = "Replicate permanent deletes of source versions to the mapped destination versions."
  type        = bool
  default     = true
}

variable "lifecycle_expirations" {
  description = "Replicate deletes made by the source's lifecycle rules (off, as native replication: configure lifecycle on the destination)."
  type        = bool
  default     = false
}

variable "parts_in_flight" {
  description = "Multipart upload parts copied concurrently per object (memory ~ part size x parts in flight). 1-16."
  type        = number
  default     = 4

  validation {
    condition     = var.parts_in_flight >= 1 && var.parts_in_flight <= 16
    error_message = "parts_in_flight must be between 1 and 16."
  }
}

variable "records_in_flight" {
  description = "Records of different keys one replicate invocation works on at once (one key's records always in order). 1-10: a batch holds at most 10."
  type        = number
  default     = 10

  validation {
    condition     = var.records_in_flight >= 1 && var.records_in_flight <= 10 && floor(var.records_in_flight) == var.records_in_flight
    error_message = "records_in_flight must be a whole number from 1 to 10."
  }
}

################################################################################
# Lambda functions
################################################################################

variable "deploy_localzip" {
  description = "Path of the package built by `make dist` (dist/partition-s3-replicate-<hash>.zip). Exactly one of deploy_localzip and deploy_s3zip."
  type        = string
  default     = null

  validation {
    condition     = (var.deploy_localzip == null) != (var.deploy_s3zip == null)
    error_message = "Set exactly one of deploy_localzip (a local zip path) and deploy_s3zip ({bucket, prefix})."
  }
  validation {
    condition     = var.deploy_localzip == null || endswith(coalesce(var.deploy_localzip, "x"), ".zip")
    error_message = "deploy_localzip must be the path of a .zip file."
  }
}

variable "deploy_s3zip" {
  description = "Package uploaded by the buildspec: s3://<bucket>/<prefix>partition-s3-replicate/<environment>.zip (versioned bucket: a new upload redeploys)."
  type = object({
    bucket = string
    prefix = optional(string, "")
  })
  default = null

  validation {
    condition     = var.deploy_s3zip == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", try(var.deploy_s3zip.bucket, "")))
    error_message = "deploy_s3zip.bucket must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-'."
  }
  validation {
    condition     = var.deploy_s3zip == null || (!startswith(try(var.deploy_s3zip.prefix, ""), "/") && (try(var.deploy_s3zip.prefix, "") == "" || endswith(try(var.deploy_s3zip.prefix, ""), "/")))
    error_message = "deploy_s3zip.prefix must be \"\" or end with '/', and must not start with '/'."
  }
}

variable "architecture" {
  description = "Instruction set of both functions: arm64 or x86_64."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be one of: arm64, x86_64."
  }
}

variable "replicate_timeout_seconds" {
  description = "Timeout of the replicate function, 60-900 seconds. The queue's visibility timeout is at least 6 times this."
  type        = number
  default     = 900

  validation {
    condition     = var.replicate_timeout_seconds >= 60 && var.replicate_timeout_seconds <= 900
    error_message = "replicate_timeout_seconds must be between 60 and 900."
  }
}

variable "replicate_memory_mb" {
  description = "Memory of the replicate function, 128-10240 MB."
  type        = number
  default     = 1024

  validation {
    condition     = var.replicate_memory_mb >= 128 && var.replicate_memory_mb <= 10240
    error_message = "replicate_memory_mb must be between 128 and 10240."
  }
}

variable "replicate_reserved_concurrency" {
  description = "Reserved concurrency of the replicate function; null = unreserved."
  type        = number
  default     = null

  validation {
    condition     = var.replicate_reserved_concurrency == null || try(var.replicate_reserved_concurrency >= 0, false)
    error_message = "replicate_reserved_concurrency must be null or >= 0."
  }
}

variable "relay_timeout_seconds" {
  description = "Timeout of the relay function, 3-900 seconds."
  type        = number
  default     = 30

  validation {
    condition     = var.relay_timeout_seconds >= 3 && var.relay_timeout_seconds <= 900
    error_message = "relay_timeout_seconds must be between 3 and 900."
  }
}

variable "relay_memory_mb" {
  description = "Memory of the relay function, 128-10240 MB."
  type        = number
  default     = 256

  validation {
    condition     = var.relay_memory_mb >= 128 && var.relay_memory_mb <= 10240
    error_message = "relay_memory_mb must be between 128 and 10240."
  }
}

variable "relay_reserved_concurrency" {
  description = "Reserved concurrency of the relay function; null = unreserved."
  type        = number
  default     = null

  validation {
    condition     = var.relay_reserved_concurrency == null || try(var.relay_reserved_concurrency >= 0, false)
    error_message = "relay_reserved_concurrency must be null or >= 0."
  }
}

variable "environment_variables" {
  description = "Extra environment variables for both functions (e.g. PARTS_IN_FLIGHT overrides). Variables the module sets for the contract, the alarms and the dashboard cannot be overridden."
  type        = map(string)
  default     = {}

  validation {
    condition     = length(setintersection(keys(var.environment_variables), ["QUEUE_URL", "SOURCE_BUCKET", "TABLE_NAME", "DLQ_URL", "DESTINATIONS", "HISTORY_MODE", "REPLICATE_SINCE", "NODE_OPTIONS", "MAX_RECEIVE_COUNT", "FAILURE_TOPIC_ARN", "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"])) == 0
    error_message = "environment_variables must not set QUEUE_URL, SOURCE_BUCKET, TABLE_NAME, DLQ_URL, DESTINATIONS, HISTORY_MODE, REPLICATE_SINCE, NODE_OPTIONS, MAX_RECEIVE_COUNT, FAILURE_TOPIC_ARN, POWERTOOLS_SERVICE_NAME or POWERTOOLS_METRICS_NAMESPACE (the module sets them; see metrics_namespace)."
  }
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the functions' metrics (POWERTOOLS_METRICS_NAMESPACE); null = \"PartitionS3Replicate/<name>\", so instances' metrics stay apart. The service dimension (POWERTOOLS_SERVICE_NAME) is name."
  type        = string
  default     = null

  validation {
    condition     = var.metrics_namespace == null || can(regex("^[A-Za-z0-9._/#:-][A-Za-z0-9._/#: -]{0,254}$", coalesce(var.metrics_namespace, "x"))) && !startswith(coalesce(var.metrics_namespace, "x"), "AWS/")
    error_message = "metrics_namespace must be null or 1-255 characters of letters, digits and . _ / # : - (space allowed), not starting with AWS/."
  }
}

variable "iam_role_path" {
  description = "IAM path of the functions' roles (e.g. \"/service/\"); \"/\" = none."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([!-~]{0,510}/)?$", var.iam_role_path))
    error_message = "iam_role_path must be \"/\" or begin and end with '/' (at most 512 printable characters)."
  }
}

variable "iam_role_permissions_boundary_arn" {
  description = "Managed policy ARN (source partition) set as the permissions boundary of the functions' roles; null = none."
  type        = string
  default     = null

  validation {
    condition     = var.iam_role_permissions_boundary_arn == null || can(regex("^arn:aws(-us-gov|-cn)?:iam::([0-9]{12}|aws):policy/.+$", coalesce(var.iam_role_permissions_boundary_arn, "x")))
    error_message = "iam_role_permissions_boundary_arn must be null or an IAM policy ARN (arn:<aws|aws-us-gov|aws-cn>:iam::<account>:policy/...)."
  }
}

variable "log_level" {
  description = "Application log level: DEBUG, INFO, WARN or ERROR."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARN", "ERROR"], var.log_level)
    error_message = "log_level must be one of: DEBUG, INFO, WARN, ERROR."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days (a CloudWatch Logs value: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_encryption_arn" {
  description = "KMS key ARN that encrypts the functions' log groups; null = CloudWatch Logs' default encryption."
  type        = string
  default     = null

  validation {
    condition     = var.log_encryption_arn == null || can(regex("^arn:aws(-us-gov|-cn)?:kms:", coalesce(var.log_encryption_arn, "x")))
    error_message = "log_encryption_arn must be null or a KMS key ARN (arn:<aws|aws-us-gov|aws-cn>:kms:...)."
  }
}

variable "log_subscription_arn" {
  description = "Destination ARN (Kinesis, Firehose, Lambda or a CloudWatch Logs destination) subscribed to both log groups; null = none."
  type        = string
  default     = null

  validation {
    condition     = var.log_subscription_arn == null || can(regex("^arn:aws(-us-gov|-cn)?:(kinesis|firehose|lambda|logs):", coalesce(var.log_subscription_arn, "x")))
    error_message = "log_subscription_arn must be null or an ARN of a kinesis, firehose, lambda or logs destination."
  }
}

variable "log_subscription_role_arn" {
  description = "Role CloudWatch Logs assumes to write to a Kinesis or Firehose log_subscription_arn; null = none."
  type        = string
  default     = null
}

################################################################################
# Queue and event delivery
################################################################################

variable "queue_visibility_timeout_seconds" {
  description = "Visibility timeout of the FIFO queue; null = 6 x replicate_timeout_seconds. At least 6 x replicate_timeout_seconds, at most 43200."
  type        = number
  default     = null

  validation {
    condition     = var.queue_visibility_timeout_seconds == null || try(var.queue_visibility_timeout_seconds >= 6 * var.replicate_timeout_seconds && var.queue_visibility_timeout_seconds <= 43200, false)
    error_message = "queue_visibility_timeout_seconds must be null or between 6 x replicate_timeout_seconds and 43200."
  }
}

variable "queue_retention_seconds" {
  description = "Message retention of the FIFO queue, 345600 (4 days) to 1209600 (14 days)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.queue_retention_seconds >= 345600 && var.queue_retention_seconds <= 1209600
    error_message = "queue_retention_seconds must be between 345600 (4 days) and 1209600 (14 days)."
  }
}

variable "max_receive_count" {
  description = "Receives of a message before SQS moves it to the DLQ, 1-1000. A failed record comes back only after the visibility timeout, so a failing message reaches the DLQ after about max_receive_count x the visibility timeout, holding its key's later events that long; the queue's retention must exceed that (checked)."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "batch_size" {
  description = "Messages per replicate invocation, 1-10 (FIFO limit)."
  type        = number
  default     = 10

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10
    error_message = "batch_size must be between 1 and 10."
  }
}

variable "maximum_concurrency" {
  description = "Maximum concurrent replicate invocations the event source mapping starts, 2-1000; null = no limit."
  type        = number
  default     = null

  validation {
    condition     = var.maximum_concurrency == null || try(var.maximum_concurrency >= 2 && var.maximum_concurrency <= 1000, false)
    error_message = "maximum_concurrency must be null or between 2 and 1000."
  }
}

variable "event_retry_attempts" {
  description = "EventBridge retries delivering an event to the relay function, 0-185."
  type        = number
  default     = 185

  validation {
    condition     = var.event_retry_attempts >= 0 && var.event_retry_attempts <= 185
    error_message = "event_retry_attempts must be between 0 and 185."
  }
}

variable "event_max_age_seconds" {
  description = "How long EventBridge keeps retrying an event, 60-86400 seconds."
  type        = number
  default     = 86400

  validation {
    condition     = var.event_max_age_seconds >= 60 && var.event_max_age_seconds <= 86400
    error_message = "event_max_age_seconds must be between 60 and 86400."
  }
}

################################################################################
# Alarms
################################################################################

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic; null = no subscription."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", coalesce(var.alarm_email, "x")))
    error_message = "alarm_email must be null or an e-mail address."
  }
}

variable "alarm_oldest_message_age_seconds" {
  description = "Alarm when the oldest message in the queue is older than this (replication lag); null = 2 x the queue's visibility timeout (a message failed twice, or a backlog that old). Must exceed the visibility timeout, else a single retried record alarms. At most 1209600."
  type        = number
  default     = null

  validation {
    condition     = var.alarm_oldest_message_age_seconds == null || try(var.alarm_oldest_message_age_seconds > coalesce(var.queue_visibility_timeout_seconds, 6 * var.replicate_timeout_seconds) && var.alarm_oldest_message_age_seconds <= 1209600, false)
    error_message = "alarm_oldest_message_age_seconds must be null or more than the queue's visibility timeout (default 6 x replicate_timeout_seconds) and at most 1209600."
  }
}

variable "alarm_period_seconds" {
  description = "Period of every alarm: 60 or a multiple of 60, up to 86400."
  type        = number
  default     = 300

  validation {
    condition     = var.alarm_period_seconds >= 60 && var.alarm_period_seconds <= 86400 && var.alarm_period_seconds % 60 == 0
    error_message = "alarm_period_seconds must be a multiple of 60 between 60 and 86400."
  }
}

variable "alarm_topic_kms_key_arn" {
  description = "Customer managed KMS key for the alarm topic (its policy must let CloudWatch use it); null = no encryption. The replicate function gets kms:GenerateDataKey and kms:Decrypt on it through SNS to publish failure notifications."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_kms_key_arn == null || can(regex("^arn:aws(-us-gov|-cn)?:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", coalesce(var.alarm_topic_kms_key_arn, "x")))
    error_message = "alarm_topic_kms_key_arn must be null or a KMS key ARN: arn:<aws|aws-us-gov|aws-cn>:kms:<region>:<account>:key/<id>."
  }
}

################################################################################
# Failure notifications and dashboard
################################################################################

variable "failure_notifications" {
  description = "The replicate function publishes one notification per record it dead-letters, or that fails on its last receive (key, destination, reason, time, attempts), to failure_topic_arn."
  type        = bool
  default     = true
}

variable "failure_topic_arn" {
  description = "SNS topic (source account and region) for failure notifications; null = the module's alarm topic. The replicate function may publish to this topic only."
  type        = string
  default     = null

  validation {
    condition     = var.failure_topic_arn == null || can(regex("^arn:aws(-us-gov|-cn)?:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$", coalesce(var.failure_topic_arn, "x")))
    error_message = "failure_topic_arn must be null or an SNS topic ARN (arn:<aws|aws-us-gov|aws-cn>:sns:<region>:<account>:<name>)."
  }
}

variable "failure_topic_kms_key_arn" {
  description = "KMS key of failure_topic_arn when that topic is encrypted with a customer managed key (the function gets kms:GenerateDataKey and kms:Decrypt through SNS); null = unencrypted or AWS managed."
  type        = string
  default     = null

  validation {
    condition     = var.failure_topic_kms_key_arn == null || can(regex("^arn:aws(-us-gov|-cn)?:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", coalesce(var.failure_topic_kms_key_arn, "x")))
    error_message = "failure_topic_kms_key_arn must be null or a KMS key ARN: arn:<aws|aws-us-gov|aws-cn>:kms:<region>:<account>:key/<id>."
  }
}

variable "dashboard" {
  description = "Create a CloudWatch dashboard named <name>: replicated objects and bytes, latency p50/p99, pending messages and oldest age, failures by reason, DLQ depth, function errors, throttles and timeouts."
  type        = bool
  default     = true
}

variable "table_deletion_protection" {
  description = "Deletion protection of the DynamoDB state table."
  type        = bool
  default     = true
}
