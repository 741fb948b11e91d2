# Serve an LLM on SageMaker and train on a GPU instance: S3 artifact bucket → execution role →
# model (in a private VPC) → a real-time endpoint and an asynchronous endpoint that scales
# with its backlog, a notebook instance for the team, plus a p4d training node. Runs against
# real AWS, or against moto (scripts/demo starts it).

terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

variable "project" {
  type    = string
  default = "llama-serving"
}

variable "serving_instance_type" {
  type    = string
  default = "ml.g4dn.xlarge"
}

variable "serving_instance_count" {
  type    = number
  default = 1

  validation {
    condition     = var.serving_instance_count >= 1 && var.serving_instance_count <= 10
    error_message = "serving_instance_count must be between 1 and 10."
  }
}

variable "training_instance_type" {
  type    = string
  default = "p4d.24xlarge"
}

provider "aws" {
  default_tags {
    tags = {
      managed-by = "gantry"
      project    = var.project
    }
  }
}

data "aws_caller_identity" "me" {}

data "aws_ami" "dlami" {
  most_recent = true
  owners      = ["898082745236"]

  filter {
    name   = "name"
    values = ["Deep Learning AMI*"]
  }
}

data "aws_ec2_instance_type" "training" {
  instance_type = var.training_instance_type
}

resource "aws_s3_bucket" "artifacts" {
  bucket        = "${var.project}-artifacts-${data.aws_caller_identity.me.account_id}"
  force_destroy = true

  tags = {
    purpose = "model-artifacts"
  }
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_iam_role" "sagemaker" {
  name = "${var.project}-sagemaker"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sagemaker.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "read_artifacts" {
  role       = aws_iam_role.sagemaker.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
}

# Model containers run in private subnets: model traffic stays off the internet.
resource "aws_vpc" "serving" {
  cidr_block           = "10.50.0.0/16"
  enable_dns_hostnames = true
  tags                 = { Name = "${var.project}-serving" }
}

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_subnet" "private" {
  count             = 2
  vpc_id            = aws_vpc.serving.id
  cidr_block        = cidrsubnet(aws_vpc.serving.cidr_block, 8, count.index)
  availability_zone = data.aws_availability_zones.available.names[count.index]
  tags              = { Name = "${var.project}-private-${count.index}" }
}

resource "aws_security_group" "model" {
  name        = "${var.project}-model"
  description = "SageMaker model containers"
  vpc_id      = aws_vpc.serving.id
  egress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.serving.cidr_block]
  }
}

resource "aws_sagemaker_model" "llm" {
  name               = "${var.project}-model"
  execution_role_arn = aws_iam_role.sagemaker.arn

  vpc_config {
    subnets            = aws_subnet.private[*].id
    security_group_ids = [aws_security_group.model.id]
  }

  primary_container {
    image          = "763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.1-tgi2.0-gpu-py310-cu121-ubuntu22.04"
    model_data_url = "s3://${aws_s3_bucket.artifacts.bucket}/llama/model.tar.gz"
    environment = {
      HF_MODEL_ID = "/opt/ml/model"
      SM_NUM_GPUS = "1"
    }
  }

  depends_on = [aws_iam_role_policy_attachment.read_artifacts]
}

resource "aws_sagemaker_endpoint_configuration" "serving" {
  # The count is in the name: a new configuration can exist beside the old one while the
  # endpoint moves over (create_before_destroy).
  name = "${var.project}-config-${var.serving_instance_count}"

  production_variants {
    variant_name           = "primary"
    model_name             = aws_sagemaker_model.llm.name
    initial_instance_count = var.serving_instance_count
    instance_type          = var.serving_instance_type
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint" "serving" {
  name                 = "${var.project}-endpoint"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.serving.name
}

# Batch-style requests: an asynchronous endpoint writes results to S3 and scales with its
# backlog, down to zero instances when idle.
resource "aws_sagemaker_endpoint_configuration" "async" {
  name = "${var.project}-async-config"

  production_variants {
    variant_name           = "primary"
    model_name             = aws_sagemaker_model.llm.name
    initial_instance_count = 1
    instance_type          = var.serving_instance_type
    volume_size_in_gb      = 100
  }

  async_inference_config {
    output_config {
      s3_output_path  = "s3://${aws_s3_bucket.artifacts.bucket}/async/output"
      s3_failure_path = "s3://${aws_s3_bucket.artifacts.bucket}/async/failure"
    }
    client_config {
      max_concurrent_invocations_per_instance = 4
    }
  }
}

resource "aws_sagemaker_endpoint" "async" {
  name                 = "${var.project}-async"
  endpoint_config_name = aws_sagemaker_endpoint_configuration.async.name
}

variable "async_max_instances" {
  type    = number
  default = 4
}

resource "aws_appautoscaling_target" "async" {
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.async.name}/variant/primary"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = 0
  max_capacity       = var.async_max_instances
}

resource "aws_appautoscaling_policy" "async_backlog" {
  name               = "${var.project}-async-backlog"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.async.service_namespace
  resource_id        = aws_appautoscaling_target.async.resource_id
  scalable_dimension = aws_appautoscaling_target.async.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = 5
    scale_in_cooldown  = 600
    scale_out_cooldown = 120
    customized_metric_specification {
      metric_name = "ApproximateBacklogSizePerInstance"
      namespace   = "AWS/SageMaker"
      statistic   = "Average"
      dimensions {
        name  = "EndpointName"
        value = aws_sagemaker_endpoint.async.name
      }
    }
  }
}

resource "aws_sagemaker_notebook_instance" "team" {
  name          = "${var.project}-notebook"
  role_arn      = aws_iam_role.sagemaker.arn
  instance_type = "ml.t3.medium"
  volume_size   = 50
  tags          = { team = "ml" }
}

resource "aws_instance" "training" {
  ami           = data.aws_ami.dlami.id
  instance_type = var.training_instance_type

  root_block_device {
    volume_size = 500
    volume_type = "gp3"
  }

  tags = {
    Name = "${var.project}-training"
    role = "training"
  }
}

output "endpoint_name" {
  value = aws_sagemaker_endpoint.serving.name
}

output "endpoint_config" {
  value = aws_sagemaker_endpoint.serving.endpoint_config_name
}

output "async_endpoint" {
  value = aws_sagemaker_endpoint.async.name
}

output "notebook_url" {
  value = aws_sagemaker_notebook_instance.team.url
}

output "artifact_bucket" {
  value = aws_s3_bucket.artifacts.bucket
}

output "training_instance" {
  value = aws_instance.training.id
}

output "training_gpus" {
  value = [for g in data.aws_ec2_instance_type.training.gpus : "${g.count} x ${g.manufacturer} ${g.name}"]
}
