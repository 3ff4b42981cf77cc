# modules/destination on its own: the destination user and its policy, in the destination
# partition (GovCloud here; China for the partition checks).

mock_provider "aws" {
  alias = "gov"

  mock_data "aws_partition" {
    defaults = { partition = "aws-us-gov", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { region = "us-gov-west-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "222222222222" }
  }
}

mock_provider "aws" {
  alias = "china"

  mock_data "aws_partition" {
    defaults = { partition = "aws-cn", dns_suffix = "amazonaws.com.cn" }
  }
  mock_data "aws_region" {
    defaults = { region = "cn-north-1" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "555555555555" }
  }
}

variables {
  name        = "replicator"
  bucket      = "dest-bucket"
  prefix      = "replica/"
  kms_key_arn = "arn:aws-us-gov:kms:us-gov-west-1:222222222222:key/11111111-2222-3333-4444-555555555555"
}

run "govcloud" {
  command = apply

  module {
    source = "./modules/destination"
  }
  providers = {
    aws = aws.gov
  }

  override_data {
    target = data.aws_iam_policy_document.this
    values = { json = "{\"doc\":\"destination\"}" }
  }
  override_resource {
    target = aws_iam_user.this
    values = { arn = "arn:aws-us-gov:iam::222222222222:user/replicator" }
  }

  assert {
    condition = { for s in data.aws_iam_policy_document.this.statement : s.sid => "${s.effect} ${join(",", sort(s.actions))} on ${join(",", sort(s.resources))}${join("", [for c in s.condition : " if ${c.test} ${c.variable} ${join(",", c.values)}"])}" } == {
      DestinationBucket   = "Allow s3:GetBucketVersioning,s3:ListBucket on arn:aws-us-gov:s3:::dest-bucket"
      DestinationVersions = "Allow s3:ListBucketVersions on arn:aws-us-gov:s3:::dest-bucket if StringLike s3:prefix replica/*"
      DestinationObjects  = "Allow s3:AbortMultipartUpload,s3:DeleteObject,s3:DeleteObjectTagging,s3:DeleteObjectVersion,s3:DeleteObjectVersionTagging,s3:GetObject,s3:GetObjectVersion,s3:ListMultipartUploadParts,s3:PutObject,s3:PutObjectTagging,s3:PutObjectVersionTagging on arn:aws-us-gov:s3:::dest-bucket/replica/*"
      DestinationKey      = "Allow kms:Decrypt,kms:GenerateDataKey on ${var.kms_key_arn} if StringEquals kms:ViaService s3.us-gov-west-1.amazonaws.com"
    }
    error_message = "The destination user may only do what the replicate function does (docs/CONTRACTS.md): list versions and write under the prefix, use the key only through S3 in the bucket's region, all in the destination partition."
  }
  assert {
    condition     = aws_iam_user_policy.this.user == aws_iam_user.this.name && aws_iam_user_policy.this.policy == data.aws_iam_policy_document.this.json
    error_message = "The policy must be attached to the destination user."
  }
  assert {
    condition     = aws_iam_user.this.name == "replicator" && aws_iam_user.this.force_destroy && aws_iam_user.this.path == "/" && aws_iam_user.this.permissions_boundary == null
    error_message = "The user must be force_destroy (its out-of-band access key must not block a destroy or replacement), at path / without boundary by default."
  }
  assert {
    condition     = output.partition == "aws-us-gov" && output.account_id == "222222222222" && output.region == "us-gov-west-1" && output.user_name == "replicator" && output.user_arn == aws_iam_user.this.arn
    error_message = "The key step's outputs must be the destination's partition, account, region and user."
  }
}

run "whole_bucket_path_and_boundary" {
  command = apply

  module {
    source = "./modules/destination"
  }
  providers = {
    aws = aws.gov
  }

  variables {
    prefix                   = ""
    kms_key_arn              = null
    path                     = "/replication/"
    permissions_boundary_arn = "arn:aws-us-gov:iam::222222222222:policy/boundary"
    tags                     = { Team = "storage" }
  }

  assert {
    condition     = [for s in data.aws_iam_policy_document.this.statement : s.resources if s.sid == "DestinationObjects"] == [toset(["arn:aws-us-gov:s3:::dest-bucket/*"])] && alltrue([for s in data.aws_iam_policy_document.this.statement : length(s.condition) == 0]) && !contains([for s in data.aws_iam_policy_document.this.statement : s.sid], "DestinationKey")
    error_message = "Without a prefix the user writes the whole bucket; without a key it gets no KMS permission."
  }
  assert {
    condition     = aws_iam_user.this.path == "/replication/" && aws_iam_user.this.permissions_boundary == "arn:aws-us-gov:iam::222222222222:policy/boundary" && aws_iam_user.this.tags == tomap({ Team = "storage" })
    error_message = "path, permissions_boundary_arn and tags must reach the user."
  }
}

run "reject_region_outside_partition" {
  command = plan

  module {
    source = "./modules/destination"
  }
  providers = {
    aws = aws.china
  }

  variables {
    region      = "us-west-2"
    kms_key_arn = "arn:aws:kms:us-west-2:555555555555:key/11111111-2222-3333-4444-555555555555"
  }

  expect_failures = [aws_iam_user_policy.this]
}

run "reject_bad_inputs" {
  command = plan

  module {
    source = "./modules/destination"
  }
  providers = {
    aws = aws.gov
  }

  variables {
    name                     = "has space"
    bucket                   = "Bad_Bucket"
    prefix                   = "/abs"
    region                   = "mars"
    kms_key_arn              = "alias/x"
    path                     = "no-slash"
    permissions_boundary_arn = "boundary"
  }

  expect_failures = [var.name, var.bucket, var.prefix, var.region, var.kms_key_arn, var.path, var.permissions_boundary_arn]
}
