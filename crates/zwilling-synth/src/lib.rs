//! Synthetic drive-through survey with known truth for zwilling.
#![warn(missing_docs)]
