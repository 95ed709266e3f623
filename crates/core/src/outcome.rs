//! Outcomes: where every sent transaction ended up (the result's types),
//! and a failed send as a submitter reports it.

pub use chainmeter_result::outcome::*;

/// A send call that failed: its class and the node's (or transport's) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    /// Coarse class, used for aggregation.
    pub class: RejectClass,
    /// The error as reported, kept for the first few of each class.
    pub message: String,
    /// Whether the transaction may have reached the node all the same.
    pub delivery: Delivery,
}

/// Whether a failed send's transaction may still have reached the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// It did not: it can never land.
    Never,
    /// It may have: no answer came, or a batch broke off part-way. It is
    /// tracked like any sent transaction and counts as rejected only if
    /// the chain never shows it.
    Unknown,
}

impl Reject {
    /// A send that certainly did not reach the node (a timeout never is).
    pub fn new(class: RejectClass, message: impl Into<String>) -> Self {
        let delivery = match class {
            RejectClass::Timeout => Delivery::Unknown,
            _ => Delivery::Never,
        };
        Self {
            class,
            message: message.into(),
            delivery,
        }
    }

    /// A send that failed but may have reached the node.
    pub fn unsure(class: RejectClass, message: impl Into<String>) -> Self {
        Self {
            delivery: Delivery::Unknown,
            ..Self::new(class, message)
        }
    }

    /// True when the transaction may still land.
    pub fn may_land(&self) -> bool {
        self.delivery == Delivery::Unknown
    }
}
