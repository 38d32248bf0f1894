// SPDX-License-Identifier: UNLICENSED
// The exact pragma pins the compiler: `make contracts` installs this solc
// version, and any other refuses to compile the file.
pragma solidity 0.8.28;

/// @title trustline ledger anchors
/// @notice Records that a member vouches for the Merkle root of the EPCIS
/// event ids in a range of Fabric blocks of a channel. Anchors are logs, not
/// storage: a log costs a fraction of a storage write, stays verifiable
/// through the receipt and log proofs of the chain, and readers filter them
/// by root, submitter or channel through the indexed topics. Several members
/// may anchor the same range; each anchor is one log (co-attestation).
contract Anchor {
    /// @notice One member's anchor of blocks fromBlock..toBlock (inclusive)
    /// of channel. channelHash is keccak256(bytes(channel)), indexed so that
    /// logs can be filtered by channel (an indexed string would be hashed
    /// and lose its value, so the name is also kept in the data).
    event Anchored(
        bytes32 indexed root,
        address indexed submitter,
        bytes32 indexed channelHash,
        string channel,
        uint64 fromBlock,
        uint64 toBlock
    );

    /// @notice The block range is empty (fromBlock > toBlock).
    error InvalidRange(uint64 fromBlock, uint64 toBlock);

    /// @notice The channel name is empty.
    error EmptyChannel();

    /// @notice Anchors root as the Merkle root of the EPCIS event ids in
    /// blocks fromBlock..toBlock of channel, on behalf of the sender.
    function anchor(bytes32 root, uint64 fromBlock, uint64 toBlock, string calldata channel) external {
        if (fromBlock > toBlock) revert InvalidRange(fromBlock, toBlock);
        if (bytes(channel).length == 0) revert EmptyChannel();
        emit Anchored(root, msg.sender, keccak256(bytes(channel)), channel, fromBlock, toBlock);
    }
}
