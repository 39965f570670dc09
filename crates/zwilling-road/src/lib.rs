//! Road condition measures and ZEB grades for zwilling.
#![warn(missing_docs)]
