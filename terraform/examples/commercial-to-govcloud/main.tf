# Source: a commercial (aws) account. Destination: a GovCloud (aws-us-gov) account.
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
  destination_kms_key = var.destination_kms_key_arn == null ? null : {
    arn    = var.destination_kms_key_arn
    key_id = element(split("/", var.destination_kms_key_arn), 1)
  }
  deploy_localzip = var.package_zip
  alarm_email     = var.alarm_email
  tags            = { Project = "partition-s3-replicate-example" }
}
