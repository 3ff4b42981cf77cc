variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "s3-from-china"
}

variable "enabled" {
  description = "Turn the event rule on. Apply with false first, do the one-time key step, then apply with true (module README: onboarding)."
  type        = bool
  default     = false
}

variable "environment" {
  description = "dev, test, prod, devtest or qa."
  type        = string
  default     = "prod"
}

variable "source_region" {
  description = "China region of the source bucket."
  type        = string
  default     = "cn-north-1"
}

variable "source_profile" {
  description = "AWS CLI profile of the source (China) account; null = the default credential chain."
  type        = string
  default     = null
}

variable "destination_region" {
  description = "Commercial region of the destination bucket."
  type        = string
  default     = "eu-central-1"
}

variable "destination_profile" {
  description = "AWS CLI profile of the destination (commercial) account."
  type        = string
  default     = null
}

variable "source_bucket" {
  description = "Source bucket (China)."
  type        = string
}

variable "source_prefixes" {
  description = "Prefixes to replicate; empty = the whole bucket."
  type        = list(string)
  default     = []
}

variable "destination_bucket" {
  description = "Destination bucket (commercial)."
  type        = string
}

variable "destination_prefix" {
  description = "Prefix prepended to the keys in the destination bucket."
  type        = string
  default     = "from-china/"
}

variable "package_bucket" {
  description = "Bucket (China account) the buildspec uploads the package to."
  type        = string
}

variable "package_prefix" {
  description = "Key prefix of the package (\"\" or ending in /)."
  type        = string
  default     = ""
}

variable "alarm_email" {
  description = "Where alarms are e-mailed; null = nowhere."
  type        = string
  default     = null
}
