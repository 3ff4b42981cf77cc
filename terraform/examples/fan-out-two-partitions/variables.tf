variable "name" {
  description = "Name prefix of every resource."
  type        = string
  default     = "s3-fan-out"
}

variable "environment" {
  description = "dev, test, prod, devtest or qa."
  type        = string
  default     = "dev"
}

variable "enabled" {
  description = "Turn the event rule on. Apply with false first, put both keys in their secrets, then apply with true (module README: onboarding)."
  type        = bool
  default     = false
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

variable "source_bucket" {
  description = "Source bucket (commercial)."
  type        = string
}

variable "source_prefixes" {
  description = "Prefixes to replicate; empty = the whole bucket."
  type        = list(string)
  default     = []
}

variable "govcloud_region" {
  description = "GovCloud region of the GovCloud bucket."
  type        = string
  default     = "us-gov-west-1"
}

variable "govcloud_profile" {
  description = "AWS CLI profile of the GovCloud account."
  type        = string
  default     = null
}

variable "govcloud_bucket" {
  description = "Destination bucket in GovCloud (keys land under replica/)."
  type        = string
}

variable "china_region" {
  description = "China region of the China bucket."
  type        = string
  default     = "cn-north-1"
}

variable "china_profile" {
  description = "AWS CLI profile of the China account."
  type        = string
  default     = null
}

variable "china_bucket" {
  description = "Destination bucket in China (may have the same name as the GovCloud one: ids are the map keys)."
  type        = string
}

variable "package_zip" {
  description = "The zip built by `make dist`."
  type        = string
}

variable "alarm_email" {
  description = "Where alarms and failure notifications are e-mailed; null = nowhere."
  type        = string
  default     = null
}
