package org.ckaatlas.job;

import java.nio.ByteBuffer;
import java.sql.Timestamp;
import java.util.List;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.avro.SchemaConverters;
import org.apache.spark.sql.types.StructType;

/** Avro records -> Spark rows, through the one Avro schema each table has (spark-avro maps the types). */
final class RowCodec {
    private RowCodec() {}

    static StructType sparkSchema(Schema schema) {
        return (StructType) SchemaConverters.toSqlType(schema).dataType();
    }

    static Row toRow(GenericRecord record) {
        List<Schema.Field> fields = record.getSchema().getFields();
        Object[] values = new Object[fields.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = convert(record.get(i), fields.get(i).schema());
        }
        return RowFactory.create(values);
    }

    private static Object convert(Object value, Schema schema) {
        if (value == null) {
            return null;
        }
        switch (schema.getType()) {
            case UNION:
                for (Schema branch : schema.getTypes()) {
                    if (branch.getType() != Schema.Type.NULL) {
                        return convert(value, branch);
                    }
                }
                throw new IllegalArgumentException("union without a non-null branch: " + schema);
            case STRING:
                return value.toString();
            case LONG:
                return schema.getLogicalType() instanceof LogicalTypes.TimestampMillis
                        ? new Timestamp((Long) value)
                        : value;
            case ARRAY: {
                List<?> list = (List<?>) value;
                if (schema.getElementType().getType() == Schema.Type.FLOAT) {
                    float[] floats = new float[list.size()];
                    for (int i = 0; i < floats.length; i++) {
                        floats[i] = (Float) list.get(i);
                    }
                    return floats;
                }
                return list.stream().map(v -> convert(v, schema.getElementType())).toArray();
            }
            case BYTES: {
                ByteBuffer buffer = ((ByteBuffer) value).duplicate();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                return bytes;
            }
            default:
                return value;
        }
    }
}
