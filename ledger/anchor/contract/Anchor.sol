// SPDX-License-Identifier: EUPL-1.2
pragma solidity 0.8.37;

/// @title Espai ledger anchor
/// @notice Records (tree size, root hash) pairs of one Espai transparency log.
/// Only the deployer (the log operator's anchoring key) may anchor, sizes must
/// strictly increase, and every anchor is both stored and emitted as an event,
/// so an auditor can read it from contract storage or from the logs.
contract Anchor {
    /// @notice The only account allowed to anchor.
    address public immutable owner;

    /// @notice The largest tree size anchored so far.
    uint64 public latestSize;

    /// @notice The root anchored for each tree size (zero when none).
    mapping(uint64 => bytes32) public rootAt;

    /// @notice Emitted once per anchored checkpoint.
    event Anchored(uint64 indexed size, bytes32 indexed root, uint256 blockTime);

    error NotOwner();
    error SizeNotIncreasing(uint64 latest, uint64 size);

    constructor() {
        owner = msg.sender;
    }

    /// @notice Anchors the checkpoint (root, size) of the log.
    function anchor(bytes32 root, uint64 size) external {
        if (msg.sender != owner) revert NotOwner();
        if (size <= latestSize) revert SizeNotIncreasing(latestSize, size);
        latestSize = size;
        rootAt[size] = root;
        emit Anchored(size, root, block.timestamp);
    }
}
