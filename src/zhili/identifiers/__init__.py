"""China's personal and enterprise identifiers: validate, normalise and generate.

One module per identifier: `resident_id` (GB 11643), `credit_code` (GB 32100), `phone`,
`plate` (Hangzhou), and `origins` (migrant origin counties and division codes). Scalar
`validate` functions never raise and return (normalised value or None, reason or None);
`make_*` functions are vectorised for bulk synthetic data.
"""

from zhili.identifiers import credit_code, origins, phone, plate, resident_id

__all__ = ["credit_code", "origins", "phone", "plate", "resident_id"]
