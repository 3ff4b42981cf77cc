# One commercial (aws) source fanned out to a GovCloud (aws-us-gov) and a China (aws-cn)
# bucket through ONE pipeline: one rule, queue, table and function read each source object once
# and converge both destinations. Each destination account gets its user from its own
# modules/destination call, since a provider cannot be chosen per for_each item.
provider "aws" {
  region  = var.source_region
  profile = var.source_profile
}

provider "aws" {
  alias   = "govcloud"
  region  = var.govcloud_region
  profile = var.govcloud_profile
}

provider "aws" {
  alias   = "china"
  region  = var.china_region
  profile = var.china_profile
}

module "govcloud_user" {
  source = "../../modules/destination"

  providers = {
    aws = aws.govcloud
  }

  name   = "${var.name}-govcloud"
  bucket = var.govcloud_bucket
  prefix = "replica/"
  tags   = local.tags
}

module "china_user" {
  source = "../../modules/destination"

  providers = {
    aws = aws.china
  }

  name   = "${var.name}-china"
  bucket = var.china_bucket
  tags   = local.tags
}

locals {
  tags = { Project = "partition-s3-replicate-example" }
  # The destination map takes each user module's outputs: partition, region and prefix match
  # what the user may do, and the key step's outputs name the user and account.
  users = { govcloud = module.govcloud_user, china = module.china_user }
}

module "replicate" {
  source = "../.."

  providers = {
    aws             = aws
    aws.destination = aws # unused with destinations: the users come from the calls above
  }

  name            = var.name
  environment     = var.environment
  enabled         = var.enabled
  source_bucket   = var.source_bucket
  source_prefixes = var.source_prefixes

  destinations = { for id, user in local.users : id => {
    bucket             = user.bucket
    partition          = user.partition
    region             = user.region
    account_id         = user.account_id
    user_name          = user.user_name
    destination_prefix = user.prefix
    kms_key_arn        = user.kms_key_arn
  } }

  deploy_localzip = var.package_zip
  alarm_email     = var.alarm_email
  tags            = local.tags
}
