################################################################################
# The user
################################################################################

variable "name" {
  description = "Name of the IAM user created in the destination account (also names its inline policy)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "name must be 1-64 characters of letters, digits and +=,.@_-."
  }
}

variable "path" {
  description = "IAM path of the user (e.g. \"/replication/\"); \"/\" = none."
  type        = string
  default     = "/"

  validation {
    condition     = can(regex("^/([!-~]{0,510}/)?$", var.path))
    error_message = "path must be \"/\" or begin and end with '/' (at most 512 printable characters)."
  }
}

variable "permissions_boundary_arn" {
  description = "ARN of a managed policy set as the user's permissions boundary; null = none."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws(-us-gov|-cn)?:iam::([0-9]{12}|aws):policy/.+$", coalesce(var.permissions_boundary_arn, "x")))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN (arn:<aws|aws-us-gov|aws-cn>:iam::<account>:policy/...)."
  }
}

variable "tags" {
  description = "Tags of the user."
  type        = map(string)
  default     = {}
}

################################################################################
# What it may write
################################################################################

variable "bucket" {
  description = "Name of the destination bucket (in this provider's account and partition)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket)) && !strcontains(var.bucket, "..")
    error_message = "bucket must be an S3 bucket name: 3-63 characters of a-z, 0-9, '.' and '-', starting and ending with a letter or digit, no '..'."
  }
}

variable "prefix" {
  description = "Destination key prefix the user may write under (\"\" = the whole bucket); pass the same value as the destination's destination_prefix."
  type        = string
  default     = ""

  validation {
    condition     = length(var.prefix) <= 512 && !startswith(var.prefix, "/") && !strcontains(var.prefix, "*")
    error_message = "prefix must be at most 512 characters, must not start with '/' and must not contain '*'."
  }
}

variable "region" {
  description = "Region of the destination bucket; null = this provider's region. Must lie in the provider's partition (us-gov-* for aws-us-gov, cn-* for aws-cn)."
  type        = string
  default     = null

  validation {
    condition     = var.region == null || can(regex("^(us-gov|cn|[a-z]{2})-[a-z]+-[0-9]$", coalesce(var.region, "x")))
    error_message = "region must be a region name such as us-east-1, us-gov-west-1 or cn-north-1."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the replicas: the key given to the replicate function for this destination, or the bucket's default key when that is a customer managed key (else every write is denied). The user gets kms:GenerateDataKey and kms:Decrypt on it, only through S3 in the bucket's region. null = none."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws(-us-gov|-cn)?:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", coalesce(var.kms_key_arn, "x")))
    error_message = "kms_key_arn must be null or a KMS key ARN: arn:<aws|aws-us-gov|aws-cn>:kms:<region>:<account>:key/<id>."
  }
}
