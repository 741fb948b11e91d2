//! What a cloud object runs that has an hourly price: the provider says which SKU, where,
//! and how many (instances, nodes, replicas, accelerators); the plan prices it from a table.
//! No prices and no cloud knowledge here — only the shape both sides agree on.

/// `quantity` units of `sku` of `service` on `cloud` in `region`, running for as long as the
/// object exists. `quantity` is `None` while it is not known (computed at apply).
#[derive(Clone, Debug, PartialEq)]
pub struct Usage {
    /// `aws`, `google`, `azure`: the price table's first column.
    pub cloud: &'static str,
    /// The price list the SKU belongs to (`ec2`, `sagemaker`, `vertex`, `compute-gpu`, `vm`…),
    /// since one machine type is priced differently by different services.
    pub service: &'static str,
    pub sku: String,
    pub region: String,
    pub quantity: Option<f64>,
    /// The most it can scale to (an autoscaling maximum): shown as a ceiling, not counted.
    pub max_quantity: Option<f64>,
    /// Billed at the spot / preemptible rate.
    pub spot: bool,
    /// The object does not record its region; it is that of the object with this id (an AKS
    /// node pool's cluster). The plan resolves it from the object's own usage; until the id
    /// is known, the price is known after apply.
    pub region_of: Option<String>,
}

impl Usage {
    pub fn new(
        cloud: &'static str,
        service: &'static str,
        sku: impl Into<String>,
        region: impl Into<String>,
        quantity: Option<f64>,
    ) -> Usage {
        Usage {
            cloud,
            service,
            sku: sku.into(),
            region: region.into(),
            quantity,
            max_quantity: None,
            spot: false,
            region_of: None,
        }
    }

    pub fn up_to(mut self, max: Option<f64>) -> Usage {
        self.max_quantity = max;
        self
    }

    pub fn region_of(mut self, id: Option<String>) -> Usage {
        self.region_of = id;
        self
    }

    pub fn spot(mut self, spot: bool) -> Usage {
        self.spot = spot;
        self
    }
}
