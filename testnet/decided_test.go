package testnet

import (
	"slices"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/proto"
)

func TestBlockSigners(t *testing.T) {
	sig := func(id uint32) *common.MetadataSignature {
		ih, _ := proto.Marshal(&common.IdentifierHeader{Identifier: id})
		return &common.MetadataSignature{IdentifierHeader: ih, Signature: []byte{1}}
	}
	block := func(sigs ...*common.MetadataSignature) *common.Block {
		md, _ := proto.Marshal(&common.Metadata{Value: []byte("v"), Signatures: sigs})
		return &common.Block{Header: &common.BlockHeader{Number: 7}, Metadata: &common.BlockMetadata{Metadata: [][]byte{md, nil, nil, nil, nil}}}
	}
	for _, tc := range []struct {
		name    string
		block   *common.Block
		want    []uint32
		wantErr bool
	}{
		{"three of four decided", block(sig(2), sig(4), sig(1)), []uint32{2, 4, 1}, false},
		{"a signature without identifier header is skipped", block(sig(3), &common.MetadataSignature{Signature: []byte{1}}), []uint32{3}, false},
		{"no signatures", block(), nil, false},
		{"no metadata", &common.Block{Header: &common.BlockHeader{Number: 7}}, nil, true},
		{"garbled metadata", &common.Block{Header: &common.BlockHeader{Number: 7}, Metadata: &common.BlockMetadata{Metadata: [][]byte{{0xff, 0xff}}}}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BlockSigners(tc.block)
			if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
				t.Errorf("BlockSigners = %v, %v; want %v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
