package labels

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"freezetrace/chains"
)

const digitalCurrencyPrefix = "Digital Currency Address - "

// ParseSDNXML reads OFAC's SDN list in the official advanced XML form
// (SDN_ADVANCED.XML). Every Feature of a type named "Digital Currency
// Address - XXX" gives a sanctioned label for its address, with the
// party's primary name as Entity, the list's date of issue as Date and the
// party's FixedRef in Note. Assets are mapped as in ParseOFACList; the
// addresses of chains freezetrace does not trace are counted as skipped.
func ParseSDNXML(r io.Reader, name string, opts Options) (Result, error) {
	res := Result{File: name}
	dec := xml.NewDecoder(r)
	featureTypes := map[string]string{} // FeatureType ID → asset code
	var date string
	type found struct {
		line    int
		party   sdnParty
		nameStr string
	}
	var parties []found
	sawRoot := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line, _ := dec.InputPos()
			return res, chains.Invalid(fmt.Errorf("%s:%d: %w", name, line, err))
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		sawRoot = true
		switch se.Name.Local {
		case "DateOfIssue":
			var d struct {
				Year  int `xml:"Year"`
				Month int `xml:"Month"`
				Day   int `xml:"Day"`
			}
			if err := dec.DecodeElement(&d, &se); err != nil {
				line, _ := dec.InputPos()
				return res, chains.Invalid(fmt.Errorf("%s:%d: DateOfIssue: %w", name, line, err))
			}
			if d.Year > 0 {
				date = fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
			}
		case "FeatureType":
			var ft struct {
				ID   string `xml:"ID,attr"`
				Text string `xml:",chardata"`
			}
			if err := dec.DecodeElement(&ft, &se); err != nil {
				line, _ := dec.InputPos()
				return res, chains.Invalid(fmt.Errorf("%s:%d: FeatureType: %w", name, line, err))
			}
			if code, ok := strings.CutPrefix(strings.TrimSpace(ft.Text), digitalCurrencyPrefix); ok {
				featureTypes[ft.ID] = strings.ToUpper(strings.TrimSpace(code))
			}
		case "DistinctParty":
			line, _ := dec.InputPos()
			var p sdnParty
			if err := dec.DecodeElement(&p, &se); err != nil {
				l, _ := dec.InputPos()
				return res, chains.Invalid(fmt.Errorf("%s:%d: DistinctParty: %w", name, l, err))
			}
			parties = append(parties, found{line: line, party: p, nameStr: p.primaryName()})
		}
	}
	if !sawRoot {
		return res, chains.Invalid(fmt.Errorf("%s: empty file, want the SDN advanced XML", name))
	}
	source := OFACSource
	if opts.Source != "" {
		source = opts.Source
	}
	if date == "" {
		date = opts.Date
	}
	for _, fp := range parties {
		for _, pr := range fp.party.Profiles {
			for _, ft := range pr.Features {
				code, ok := featureTypes[ft.TypeID]
				if !ok {
					continue
				}
				for _, v := range ft.Versions {
					for _, d := range v.Details {
						raw := strings.TrimSpace(d)
						res.Read++
						chain, asset, ok := ofacChain(code, raw)
						if !ok {
							res.skip(code)
							continue
						}
						addr, err := chain.ParseAddress(raw)
						if err != nil {
							if err := res.bad(opts, fp.line, fmt.Errorf("SDN %s %s address: %w", fp.party.FixedRef, chain, err)); err != nil {
								return res, err
							}
							continue
						}
						res.Labels = append(res.Labels, chains.Label{
							Chain:      chain,
							Address:    addr,
							Entity:     fp.nameStr,
							Category:   chains.CategorySanctioned,
							Asset:      asset,
							Source:     source,
							Date:       date,
							Note:       fileNote(name) + "; SDN FixedRef " + fp.party.FixedRef + "; " + digitalCurrencyPrefix + code,
							Confidence: ofacConfidence,
						})
					}
				}
			}
		}
	}
	return res, nil
}

// sdnParty is the part of a DistinctParty the labels need.
type sdnParty struct {
	FixedRef string `xml:"FixedRef,attr"`
	Profiles []struct {
		Identities []struct {
			Aliases []struct {
				Primary string `xml:"Primary,attr"`
				Names   []struct {
					Parts []struct {
						Values []string `xml:"NamePartValue"`
					} `xml:"DocumentedNamePart"`
				} `xml:"DocumentedName"`
			} `xml:"Alias"`
		} `xml:"Identity"`
		Features []struct {
			TypeID   string `xml:"FeatureTypeID,attr"`
			Versions []struct {
				Details []string `xml:"VersionDetail"`
			} `xml:"FeatureVersion"`
		} `xml:"Feature"`
	} `xml:"Profile"`
}

// primaryName joins the name parts of the party's primary alias (the first
// alias when none is marked primary).
func (p sdnParty) primaryName() string {
	var first string
	for _, pr := range p.Profiles {
		for _, id := range pr.Identities {
			for _, a := range id.Aliases {
				var parts []string
				for _, n := range a.Names {
					for _, np := range n.Parts {
						parts = append(parts, np.Values...)
					}
					if len(parts) > 0 {
						break
					}
				}
				s := strings.Join(parts, " ")
				if a.Primary == "true" && s != "" {
					return s
				}
				if first == "" {
					first = s
				}
			}
		}
	}
	return first
}
