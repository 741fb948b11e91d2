# Serve a model on Vertex AI (L4 GPUs), train on a TPU v5e slice and experiment on a GPU VM
# booted from a Deep Learning VM image: GCS artifact bucket → model object → Vertex model →
# endpoint → deployment, plus the APIs, the serving identity and its roles. Runs against
# Google Cloud, or against the local servers `scripts/emulators start` runs (scripts/demo).

terraform {
  required_providers {
    google = { source = "hashicorp/google" }
  }
}

variable "project_id" {
  type    = string
  default = null # the provider's project (GOOGLE_PROJECT)
}

variable "region" {
  type    = string
  default = "us-central1"
}

variable "serving_machine_type" {
  type    = string
  default = "g2-standard-8" # one NVIDIA L4
}

variable "serving_replicas" {
  type    = number
  default = 1

  validation {
    condition     = var.serving_replicas >= 1 && var.serving_replicas <= 10
    error_message = "serving_replicas must be between 1 and 10."
  }
}

variable "team" {
  type    = string
  default = "ml-platform"
}

provider "google" {
  project = var.project_id
  region  = var.region
  zone    = "${var.region}-a"
  default_labels = {
    managed-by = "gantry"
  }
}

locals {
  apis = ["aiplatform.googleapis.com", "tpu.googleapis.com", "compute.googleapis.com",
  "storage.googleapis.com", "iam.googleapis.com"]
  labels = { team = var.team }
}

resource "google_project_service" "apis" {
  for_each           = toset(local.apis)
  service            = each.key
  disable_on_destroy = false
}

# --- artifacts ---------------------------------------------------------------------------

resource "google_storage_bucket" "artifacts" {
  name                        = "gantry-demo-model-artifacts"
  location                    = upper(var.region)
  uniform_bucket_level_access = true
  force_destroy               = true
  labels                      = local.labels
  versioning {
    enabled = true
  }
}

resource "google_storage_bucket_object" "model" {
  bucket       = google_storage_bucket.artifacts.name
  name         = "llama-3-8b/model.safetensors"
  content      = "placeholder weights: upload the real ones with gsutil or a source = path"
  content_type = "application/octet-stream"
}

# --- serving identity ----------------------------------------------------------------------

resource "google_service_account" "serving" {
  account_id   = "vertex-serving"
  display_name = "Vertex AI model serving"
  depends_on   = [google_project_service.apis]
}

resource "google_project_iam_member" "serving" {
  for_each = toset(["roles/aiplatform.user", "roles/storage.objectViewer"])
  project  = google_service_account.serving.project
  role     = each.key
  member   = google_service_account.serving.member
}

# --- Vertex AI: model, endpoint, deployment on L4 --------------------------------------------

resource "google_vertex_ai_model" "llama" {
  model_id     = "llama-3-8b"
  region       = var.region
  display_name = "llama-3-8b"
  artifact_uri = "gs://${google_storage_bucket.artifacts.name}/llama-3-8b/"
  labels       = local.labels
  container_spec {
    image_uri     = "us-docker.pkg.dev/vertex-ai/vertex-vision-model-garden-dockers/pytorch-vllm-serve:latest"
    predict_route = "/generate"
    health_route  = "/ping"
    ports         = [7080]
    env           = { MODEL_ID = "meta-llama/Meta-Llama-3-8B" }
  }
  depends_on = [google_storage_bucket_object.model, google_project_service.apis]
}

resource "google_vertex_ai_endpoint" "llama" {
  name         = "4242424242"
  display_name = "llama-3-8b"
  location     = var.region
  labels       = local.labels
  depends_on   = [google_project_service.apis]
}

resource "google_vertex_ai_endpoint_deployed_model" "llama" {
  endpoint     = google_vertex_ai_endpoint.llama.id
  model        = google_vertex_ai_model.llama.id
  display_name = "llama-3-8b-l4"
  dedicated_resources {
    machine_spec {
      machine_type      = var.serving_machine_type
      accelerator_type  = "NVIDIA_L4"
      accelerator_count = 1
    }
    min_replica_count = var.serving_replicas
    max_replica_count = var.serving_replicas + 2
  }
}

# --- training: a TPU v5e slice -----------------------------------------------------------

resource "google_tpu_v2_vm" "train" {
  name             = "llama-finetune"
  zone             = "${var.region}-a"
  runtime_version  = "v2-alpha-tpuv5-lite"
  accelerator_type = "v5litepod-8"
  labels           = local.labels
  scheduling_config {
    spot = true
  }
  depends_on = [google_project_service.apis]
}

# --- experiments: a GPU VM on a Deep Learning VM image --------------------------------------

resource "google_compute_instance" "workbench" {
  name                      = "llama-workbench"
  machine_type              = "g2-standard-8"
  zone                      = "${var.region}-a"
  labels                    = local.labels
  allow_stopping_for_update = true
  metadata                  = { install-nvidia-driver = "True" }

  boot_disk {
    initialize_params {
      image = "deeplearning-platform-release/common-cu124-debian-11-py310"
      size  = 200
    }
  }
  scheduling {
    on_host_maintenance = "TERMINATE" # GPUs cannot live-migrate; gantry checks this at plan
  }
  network_interface {
    network = "default"
    access_config {}
  }
  service_account {
    email  = google_service_account.serving.email
    scopes = ["cloud-platform"]
  }
  depends_on = [google_project_service.apis]
}

output "endpoint" {
  value = google_vertex_ai_endpoint.llama.id
}

output "deployed_model_id" {
  value = google_vertex_ai_endpoint_deployed_model.llama.deployed_model_id
}

output "tpu_endpoints" {
  value = google_tpu_v2_vm.train.network_endpoints
}
