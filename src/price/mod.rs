//! Versioned price tables (placeholder while being written).
