// Code generated via abigen V2 - DO NOT EDIT.
// This file is a generated binding and any manual changes will be lost.

package contract

import (
	"bytes"
	"errors"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Reference imports to suppress errors if they are not otherwise used.
var (
	_ = bytes.Equal
	_ = errors.New
	_ = big.NewInt
	_ = common.Big1
	_ = types.BloomLookup
	_ = abi.ConvertType
)

// AnchorMetaData contains all meta data concerning the Anchor contract.
var AnchorMetaData = bind.MetaData{
	ABI: "[{\"inputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"constructor\"},{\"inputs\":[],\"name\":\"NotOwner\",\"type\":\"error\"},{\"inputs\":[{\"internalType\":\"uint64\",\"name\":\"latest\",\"type\":\"uint64\"},{\"internalType\":\"uint64\",\"name\":\"size\",\"type\":\"uint64\"}],\"name\":\"SizeNotIncreasing\",\"type\":\"error\"},{\"anonymous\":false,\"inputs\":[{\"indexed\":true,\"internalType\":\"uint64\",\"name\":\"size\",\"type\":\"uint64\"},{\"indexed\":true,\"internalType\":\"bytes32\",\"name\":\"root\",\"type\":\"bytes32\"},{\"indexed\":false,\"internalType\":\"uint256\",\"name\":\"blockTime\",\"type\":\"uint256\"}],\"name\":\"Anchored\",\"type\":\"event\"},{\"inputs\":[{\"internalType\":\"bytes32\",\"name\":\"root\",\"type\":\"bytes32\"},{\"internalType\":\"uint64\",\"name\":\"size\",\"type\":\"uint64\"}],\"name\":\"anchor\",\"outputs\":[],\"stateMutability\":\"nonpayable\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"latestSize\",\"outputs\":[{\"internalType\":\"uint64\",\"name\":\"\",\"type\":\"uint64\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[],\"name\":\"owner\",\"outputs\":[{\"internalType\":\"address\",\"name\":\"\",\"type\":\"address\"}],\"stateMutability\":\"view\",\"type\":\"function\"},{\"inputs\":[{\"internalType\":\"uint64\",\"name\":\"\",\"type\":\"uint64\"}],\"name\":\"rootAt\",\"outputs\":[{\"internalType\":\"bytes32\",\"name\":\"\",\"type\":\"bytes32\"}],\"stateMutability\":\"view\",\"type\":\"function\"}]",
	ID:  "Anchor",
	Bin: "0x60a0604052348015600f57600080fd5b503360805260805161027a6100356000396000818160880152610110015261027a6000f3fe608060405234801561001057600080fd5b506004361061004c5760003560e01c80631293ed37146100515780638da5cb5b14610083578063db2c4aca146100c2578063eaa38b41146100d7575b600080fd5b6000546100659067ffffffffffffffff1681565b60405167ffffffffffffffff90911681526020015b60405180910390f35b6100aa7f000000000000000000000000000000000000000000000000000000000000000081565b6040516001600160a01b03909116815260200161007a565b6100d56100d036600461021f565b610105565b005b6100f76100e536600461024b565b60016020526000908152604090205481565b60405190815260200161007a565b336001600160a01b037f0000000000000000000000000000000000000000000000000000000000000000161461014e576040516330cd747160e01b815260040160405180910390fd5b60005467ffffffffffffffff9081169082161161019a57600054604051630bcdc6e560e01b815267ffffffffffffffff9182166004820152908216602482015260440160405180910390fd5b6000805467ffffffffffffffff191667ffffffffffffffff8316908117825580825260016020908152604092839020859055915142815284927f536e3d020fdb6cec20829a2383fe616346f84ad3ff82cbcfb3b1f003563b3f7f910160405180910390a35050565b803567ffffffffffffffff8116811461021a57600080fd5b919050565b6000806040838503121561023257600080fd5b8235915061024260208401610202565b90509250929050565b60006020828403121561025d57600080fd5b61026682610202565b939250505056fea164736f6c6343000825000a",
}

// Anchor is an auto generated Go binding around an Ethereum contract.
type Anchor struct {
	abi abi.ABI
}

// GetABI returns the ABI associated with this contract binding.
func (c *Anchor) GetABI() abi.ABI {
	return c.abi
}

// NewAnchor creates a new instance of Anchor.
func NewAnchor() *Anchor {
	parsed, err := AnchorMetaData.ParseABI()
	if err != nil {
		panic(errors.New("invalid ABI: " + err.Error()))
	}
	return &Anchor{abi: *parsed}
}

// Instance creates a wrapper for a deployed contract instance at the given address.
// Use this to create the instance object passed to abigen v2 library functions Call, Transact, etc.
func (c *Anchor) Instance(backend bind.ContractBackend, addr common.Address) *bind.BoundContract {
	return bind.NewBoundContract(addr, c.abi, backend, backend, backend)
}

// PackAnchor is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdb2c4aca.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function anchor(bytes32 root, uint64 size) returns()
func (anchor *Anchor) PackAnchor(root [32]byte, size uint64) []byte {
	enc, err := anchor.abi.Pack("anchor", root, size)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackAnchor is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xdb2c4aca.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function anchor(bytes32 root, uint64 size) returns()
func (anchor *Anchor) TryPackAnchor(root [32]byte, size uint64) ([]byte, error) {
	return anchor.abi.Pack("anchor", root, size)
}

// PackLatestSize is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x1293ed37.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function latestSize() view returns(uint64)
func (anchor *Anchor) PackLatestSize() []byte {
	enc, err := anchor.abi.Pack("latestSize")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackLatestSize is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x1293ed37.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function latestSize() view returns(uint64)
func (anchor *Anchor) TryPackLatestSize() ([]byte, error) {
	return anchor.abi.Pack("latestSize")
}

// UnpackLatestSize is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x1293ed37.
//
// Solidity: function latestSize() view returns(uint64)
func (anchor *Anchor) UnpackLatestSize(data []byte) (uint64, error) {
	out, err := anchor.abi.Unpack("latestSize", data)
	if err != nil {
		return *new(uint64), err
	}
	out0 := *abi.ConvertType(out[0], new(uint64)).(*uint64)
	return out0, nil
}

// PackOwner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8da5cb5b.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function owner() view returns(address)
func (anchor *Anchor) PackOwner() []byte {
	enc, err := anchor.abi.Pack("owner")
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackOwner is the Go binding used to pack the parameters required for calling
// the contract method with ID 0x8da5cb5b.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function owner() view returns(address)
func (anchor *Anchor) TryPackOwner() ([]byte, error) {
	return anchor.abi.Pack("owner")
}

// UnpackOwner is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0x8da5cb5b.
//
// Solidity: function owner() view returns(address)
func (anchor *Anchor) UnpackOwner(data []byte) (common.Address, error) {
	out, err := anchor.abi.Unpack("owner", data)
	if err != nil {
		return *new(common.Address), err
	}
	out0 := *abi.ConvertType(out[0], new(common.Address)).(*common.Address)
	return out0, nil
}

// PackRootAt is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xeaa38b41.  This method will panic if any
// invalid/nil inputs are passed.
//
// Solidity: function rootAt(uint64 ) view returns(bytes32)
func (anchor *Anchor) PackRootAt(arg0 uint64) []byte {
	enc, err := anchor.abi.Pack("rootAt", arg0)
	if err != nil {
		panic(err)
	}
	return enc
}

// TryPackRootAt is the Go binding used to pack the parameters required for calling
// the contract method with ID 0xeaa38b41.  This method will return an error
// if any inputs are invalid/nil.
//
// Solidity: function rootAt(uint64 ) view returns(bytes32)
func (anchor *Anchor) TryPackRootAt(arg0 uint64) ([]byte, error) {
	return anchor.abi.Pack("rootAt", arg0)
}

// UnpackRootAt is the Go binding that unpacks the parameters returned
// from invoking the contract method with ID 0xeaa38b41.
//
// Solidity: function rootAt(uint64 ) view returns(bytes32)
func (anchor *Anchor) UnpackRootAt(data []byte) ([32]byte, error) {
	out, err := anchor.abi.Unpack("rootAt", data)
	if err != nil {
		return *new([32]byte), err
	}
	out0 := *abi.ConvertType(out[0], new([32]byte)).(*[32]byte)
	return out0, nil
}

// AnchorAnchored represents a Anchored event raised by the Anchor contract.
type AnchorAnchored struct {
	Size      uint64
	Root      [32]byte
	BlockTime *big.Int
	Raw       *types.Log // Blockchain specific contextual infos
}

const AnchorAnchoredEventName = "Anchored"

// ContractEventName returns the user-defined event name.
func (AnchorAnchored) ContractEventName() string {
	return AnchorAnchoredEventName
}

// UnpackAnchoredEvent is the Go binding that unpacks the event data emitted
// by contract.
//
// Solidity: event Anchored(uint64 indexed size, bytes32 indexed root, uint256 blockTime)
func (anchor *Anchor) UnpackAnchoredEvent(log *types.Log) (*AnchorAnchored, error) {
	event := "Anchored"
	if len(log.Topics) == 0 {
		return nil, bind.ErrNoEventSignature
	}
	if log.Topics[0] != anchor.abi.Events[event].ID {
		return nil, bind.ErrEventSignatureMismatch
	}
	out := new(AnchorAnchored)
	if len(log.Data) > 0 {
		if err := anchor.abi.UnpackIntoInterface(out, event, log.Data); err != nil {
			return nil, err
		}
	}
	var indexed abi.Arguments
	for _, arg := range anchor.abi.Events[event].Inputs {
		if arg.Indexed {
			indexed = append(indexed, arg)
		}
	}
	if err := abi.ParseTopics(out, indexed, log.Topics[1:]); err != nil {
		return nil, err
	}
	out.Raw = log
	return out, nil
}

// UnpackError attempts to decode the provided error data using user-defined
// error definitions.
func (anchor *Anchor) UnpackError(raw []byte) (any, error) {
	if bytes.Equal(raw[:4], anchor.abi.Errors["NotOwner"].ID.Bytes()[:4]) {
		return anchor.UnpackNotOwnerError(raw[4:])
	}
	if bytes.Equal(raw[:4], anchor.abi.Errors["SizeNotIncreasing"].ID.Bytes()[:4]) {
		return anchor.UnpackSizeNotIncreasingError(raw[4:])
	}
	return nil, errors.New("Unknown error")
}

// AnchorNotOwner represents a NotOwner error raised by the Anchor contract.
type AnchorNotOwner struct {
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error NotOwner()
func AnchorNotOwnerErrorID() common.Hash {
	return common.HexToHash("0x30cd74712f59d478562d48e2d35de830db72c60a63dd08ae59199eec990b5bc4")
}

// UnpackNotOwnerError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error NotOwner()
func (anchor *Anchor) UnpackNotOwnerError(raw []byte) (*AnchorNotOwner, error) {
	out := new(AnchorNotOwner)
	if err := anchor.abi.UnpackIntoInterface(out, "NotOwner", raw); err != nil {
		return nil, err
	}
	return out, nil
}

// AnchorSizeNotIncreasing represents a SizeNotIncreasing error raised by the Anchor contract.
type AnchorSizeNotIncreasing struct {
	Latest uint64
	Size   uint64
}

// ErrorID returns the hash of canonical representation of the error's signature.
//
// Solidity: error SizeNotIncreasing(uint64 latest, uint64 size)
func AnchorSizeNotIncreasingErrorID() common.Hash {
	return common.HexToHash("0x0bcdc6e587748669f1c3533025860f26ef3fad71563f5cf0ca7a8499ce296678")
}

// UnpackSizeNotIncreasingError is the Go binding used to decode the provided
// error data into the corresponding Go error struct.
//
// Solidity: error SizeNotIncreasing(uint64 latest, uint64 size)
func (anchor *Anchor) UnpackSizeNotIncreasingError(raw []byte) (*AnchorSizeNotIncreasing, error) {
	out := new(AnchorSizeNotIncreasing)
	if err := anchor.abi.UnpackIntoInterface(out, "SizeNotIncreasing", raw); err != nil {
		return nil, err
	}
	return out, nil
}
