"""Source contracts: one YAML file per department system (fields, types, code lists,
encoding, keys, and which canonical entities and relations each row describes).

A new department system is a new contract file, not new code: put `<system>.yaml` here (or in
a directory passed to `load_contracts`)."""

from zhili.hub.contracts.schema import (
    CONTRACTS_DIR,
    Contract,
    ContractError,
    Describes,
    FieldSpec,
    TableSpec,
    as_contracts,
    load_contract,
    load_contracts,
)

__all__ = [
    "CONTRACTS_DIR",
    "Contract",
    "ContractError",
    "Describes",
    "FieldSpec",
    "TableSpec",
    "as_contracts",
    "load_contract",
    "load_contracts",
]
