variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "s3-to-govcloud"
}

variable "enabled" {
  description = "Turn the event rule on. Apply with false first, do the one-time key step, then apply with true (module README: onboarding)."
  type        = bool
  default     = false
}

variable "environment" {
  description = "dev, test, prod, devtest or qa."
  type        = string
  default     = "dev"
}

variable "source_region" {
  description = "Commercial region of the source bucket."
  type        = string
  default     = "us-east-1"
}

variable "source_profile" {
  description = "AWS CLI profile of the source (commercial) account; null = the default credential chain."
  type        = string
  default     = null
}

variable "destination_region" {
  description = "GovCloud region of the destination bucket."
  type        = string
  default     = "us-gov-west-1"
}

variable "destination_profile" {
  description = "AWS CLI profile of the destination (GovCloud) account."
  type        = string
  default     = null
}

variable "source_bucket" {
  description = "Source bucket (commercial)."
  type        = string
}

variable "source_prefixes" {
  description = "Prefixes to replicate; empty = the whole bucket."
  type        = list(string)
  default     = []
}

variable "destination_bucket" {
  description = "Destination bucket (GovCloud)."
  type        = string
}

variable "destination_kms_key_arn" {
  description = "KMS key (GovCloud) for the replicas; null = the bucket's default encryption."
  type        = string
  default     = null
}

variable "package_zip" {
  description = "The zip built by `make dist`."
  type        = string
}

variable "alarm_email" {
  description = "Where alarms are e-mailed; null = nowhere."
  type        = string
  default     = null
}
