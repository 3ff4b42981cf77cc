# Source: a China (aws-cn) account. Destination: a commercial (aws) account.
provider "aws" {
  region  = var.source_region
  profile = var.source_profile
}

provider "aws" {
  alias   = "destination"
  region  = var.destination_region
  profile = var.destination_profile
}

module "replicate" {
  source = "../.."

  providers = {
    aws             = aws
    aws.destination = aws.destination
  }

  name               = var.name
  environment        = var.environment
  enabled            = var.enabled
  source_bucket      = var.source_bucket
  source_prefixes    = var.source_prefixes
  destination_bucket = var.destination_bucket
  destination_region = var.destination_region
  destination_prefix = var.destination_prefix
  history_mode       = "latest"

  # The package uploaded by the buildspec to a bucket in the China account:
  # s3://<bucket>/<prefix>partition-s3-replicate/<environment>.zip
  deploy_s3zip = { bucket = var.package_bucket, prefix = var.package_prefix }

  alarm_email = var.alarm_email
  tags        = { Project = "partition-s3-replicate-example" }
}
