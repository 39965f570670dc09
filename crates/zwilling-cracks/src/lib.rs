//! Pavement imagery for zwilling: training-free crack and marking detection.
#![warn(missing_docs)]
