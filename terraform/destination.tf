# The simple case, destination_bucket: the destination user in the destination account
# (provider aws.destination). With destinations, callers make one modules/destination call
# per destination provider instead, since a provider cannot be chosen per for_each item.
module "destination" {
  source = "./modules/destination"
  count  = var.destination_bucket == null ? 0 : 1

  providers = {
    aws = aws.destination
  }

  name                     = coalesce(var.destination_user_name, var.name)
  path                     = var.destination_user_path
  permissions_boundary_arn = var.destination_user_permissions_boundary_arn
  bucket                   = var.destination_bucket
  prefix                   = var.destination_prefix
  region                   = var.destination_region
  kms_key_arn              = try(var.destination_kms_key.arn, null)
  tags                     = local.tags
}

# Opt-in (create_access_key = true): the secret access key is then stored in the state.
resource "aws_iam_access_key" "destination" {
  count    = var.create_access_key ? 1 : 0
  provider = aws.destination

  user = module.destination[0].user_name
}
